using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Hotpath.Internals;

/// <summary>
/// The process's one multiplexed connection (or none when the cache is disabled), with the embedded
/// server it started, if any. Shared by the cache, response cache, rate limiters and locks.
/// </summary>
internal sealed class HotpathConnection : IDisposable
{
    private const string EmbeddedFactoryType = "Hotpath.Embedded.GarnetServerFactory, Hotpath.Embedded";

    private readonly IEmbeddedServer? _embedded;
    private readonly ILogger _logger;
    private readonly bool _ownsMultiplexer;

    private HotpathConnection(RedisConnectionSettings settings, IConnectionMultiplexer? multiplexer, IEmbeddedServer? embedded, string keyPrefix, ILogger logger, bool ownsMultiplexer)
    {
        Settings = settings;
        Multiplexer = multiplexer;
        _embedded = embedded;
        _logger = logger;
        _ownsMultiplexer = ownsMultiplexer;
        KeyPrefix = keyPrefix;
        if (multiplexer is not null)
        {
            RawDatabase = multiplexer.GetDatabase();
            Database = keyPrefix.Length == 0 ? RawDatabase : RawDatabase.WithKeyPrefix(keyPrefix);
        }
    }

    public RedisConnectionSettings Settings { get; }

    /// <summary>Null when the cache is disabled.</summary>
    public IConnectionMultiplexer? Multiplexer { get; }

    /// <summary>The database with <see cref="KeyPrefix"/> applied to every key; null when disabled.</summary>
    public IDatabase? Database { get; }

    /// <summary>The database without the prefix, for keys that already carry it (pattern deletion).</summary>
    public IDatabase? RawDatabase { get; }

    public string KeyPrefix { get; }

    public bool IsDisabled => Multiplexer is null;

    public bool IsCluster => Settings.Mode == RedisServerMode.Cluster;

    /// <summary>Whether a replica can take over from a primary (Cluster or Sentinel): replication is asynchronous, so it may lack acknowledged writes.</summary>
    public bool IsReplicated => Settings.Mode is RedisServerMode.Cluster or RedisServerMode.Sentinel;

    /// <summary>Where the embedded server listens, when one was started.</summary>
    public string? EmbeddedEndPoint => _embedded is null ? null : $"{_embedded.Host}:{_embedded.Port}";

    public static HotpathConnection Create(HotpathOptions options, ILoggerFactory loggerFactory, IEmbeddedServerFactory? embeddedFactory = null)
    {
        options.Validate();
        var logger = loggerFactory.CreateLogger("Hotpath");
        var settings = options.ParseServer();
        IEmbeddedServer? embedded = null;
        switch (settings.Mode)
        {
            case RedisServerMode.Disabled:
                Log.CacheDisabled(logger);
                return new HotpathConnection(settings, null, null, options.KeyPrefix, logger, ownsMultiplexer: false);
            case RedisServerMode.Embedded:
                embeddedFactory ??= LocateEmbeddedFactory();
                embedded = embeddedFactory.Start(options.Embedded, loggerFactory);
                Log.EmbeddedServerStarted(logger, $"{embedded.Host}:{embedded.Port}");
                settings = RedisConnectionSettings.ForEndPoint(embedded.Host, embedded.Port);
                break;
        }

        try
        {
            var multiplexer = ConnectionMultiplexer.Connect(settings.ToConfigurationOptions(options));
            Log.UsingServer(logger, settings.ToString());
            return new HotpathConnection(settings, multiplexer, embedded, options.KeyPrefix, logger, ownsMultiplexer: true);
        }
        catch (RedisConnectionException ex) when (settings.Mode == RedisServerMode.Sentinel)
        {
            // Unlike a plain server, StackExchange.Redis cannot start a Sentinel connection that waits
            // for the servers to come up: without a sentinel naming a reachable primary it throws, with a
            // message ("not a Sentinel connection") that does not say which setting to look at.
            throw new RedisConnectionException(
                ex.FailureType,
                $"No sentinel of {HotpathOptions.RedisUrlSetting} '{settings}' named a reachable primary for the service '{settings.ServiceName}' " +
                $"within Hotpath:ConnectTimeout ({options.ConnectTimeout.TotalMilliseconds:0} ms). A Sentinel connection cannot start without one: " +
                "check that the sentinels listen there, monitor that service name, and accept the URL's credentials.",
                ex);
        }
        catch
        {
            embedded?.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a multiplexer the application already owns; it is not disposed with the connection.</summary>
    public static HotpathConnection Wrap(IConnectionMultiplexer multiplexer, HotpathOptions options, ILogger logger)
    {
        options.Validate();
        var settings = options.ParseServer();
        return new HotpathConnection(settings, multiplexer, null, options.KeyPrefix, logger, ownsMultiplexer: false);
    }

    public void Dispose()
    {
        if (_ownsMultiplexer)
        {
            Multiplexer?.Dispose();
        }

        if (_embedded is not null)
        {
            _embedded.Dispose();
            Log.EmbeddedServerStopped(_logger);
        }
    }

    private static IEmbeddedServerFactory LocateEmbeddedFactory()
    {
        Type? type;
        try
        {
            type = Type.GetType(EmbeddedFactoryType, throwOnError: false);
        }
        catch (Exception ex) when (ex is FileLoadException or BadImageFormatException)
        {
            type = null;
        }

        if (type is null || Activator.CreateInstance(type, nonPublic: true) is not IEmbeddedServerFactory factory)
        {
            throw new HotpathConfigurationException(
                $"{HotpathOptions.RedisUrlSetting} is not set and the Hotpath.Embedded package is not referenced, so there is no server to use. " +
                $"Set {HotpathOptions.RedisUrlSetting} to redis://host:port (or 'none' to disable the cache), or reference Hotpath.Embedded for an in-process server.");
        }

        return factory;
    }
}
