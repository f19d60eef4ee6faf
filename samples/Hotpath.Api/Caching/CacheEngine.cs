namespace Hotpath.Api.Caching;

/// <summary>Which cache answers the sample's cached reads; chosen by <c>Caching:Engine</c> (see <see cref="CachingSettings"/>).</summary>
internal enum CacheEngine
{
    /// <summary>
    /// The default: Hotpath's response cache keeps whole responses of the product reads, and the handlers
    /// read through Hotpath's value cache behind it.
    /// </summary>
    Hotpath,

    /// <summary>
    /// For comparison: ASP.NET Core's output cache on its Redis store
    /// (Microsoft.AspNetCore.OutputCaching.StackExchangeRedis) keeps the whole responses instead, with the
    /// same durations, tag and vary-by rules; the handlers behind it still use Hotpath's value cache.
    /// </summary>
    OutputCache,

    /// <summary>
    /// For comparison: nothing is cached. No response cache, and every read queries the database.
    /// Sessions, rate limits and idempotency keys still live in the cache server.
    /// </summary>
    None,
}
