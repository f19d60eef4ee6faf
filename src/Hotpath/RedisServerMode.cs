namespace Hotpath;

/// <summary>What <c>REDIS_URL</c> chose.</summary>
public enum RedisServerMode
{
    /// <summary>Unset: an embedded Garnet server in the process.</summary>
    Embedded,

    /// <summary>Empty or <c>none</c>: the cache is off; every read is a miss and every write a no-op.</summary>
    Disabled,

    /// <summary>One external server (<c>redis://</c> or <c>rediss://</c>).</summary>
    Server,

    /// <summary>A Redis Cluster (<c>redis+cluster://</c> or a comma-separated list of nodes).</summary>
    Cluster,

    /// <summary>
    /// A primary found through Redis Sentinel (<c>redis+sentinel://host:port[,host:port…]/service[/db]</c>):
    /// the connection follows the primary the sentinels name after a failover.
    /// </summary>
    Sentinel,
}
