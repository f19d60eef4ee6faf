namespace Hotpath.Bench.Host;

/// <summary>Which cache answers the product reads in this host; chosen by <c>Bench:Engine</c> (see <see cref="BenchSettings"/>).</summary>
internal enum BenchEngine
{
    /// <summary>
    /// ASP.NET Core's output cache on its Redis store (Microsoft.AspNetCore.OutputCaching.StackExchangeRedis)
    /// keeps whole responses of the list and item reads, with the sample's durations, tag and vary-by rules;
    /// the sample's handlers behind it still read through Hotpath's value cache.
    /// </summary>
    OutputCache,

    /// <summary>
    /// Nothing is cached: no response cache, and every read queries the database. Rate limits still live
    /// in the cache server, as in the sample.
    /// </summary>
    None,
}
