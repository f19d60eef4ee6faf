using Hotpath.Api.Stats;

namespace Hotpath.Api.Caching;

/// <summary>
/// Cache-aside for the endpoints, with an honest <c>X-Cache</c> header: <c>HIT</c> only when the value
/// was read from the cache by this request.
/// </summary>
/// <remarks>
/// The lesson's three steps: read the cache (a plain <see cref="ICache.GetAsync{T}"/>, which decides the
/// header); on a miss, read the database and store the result, both in
/// <see cref="ICache.GetOrSetAsync{TState, T}"/>, which shares one database query between concurrent
/// misses and keeps a result read before a concurrent write out of the cache. A flag set in the
/// factory would not be honest: a request that joined another's factory run got its value from the
/// database without running a factory of its own. The price is one more round trip on a miss.
/// </remarks>
internal sealed class CachedReader(ICache cache, AppStats stats)
{
    /// <summary>Returns the cached value or loads, caches and returns it; sets <c>X-Cache</c> and counts the hit or miss.</summary>
    public async ValueTask<CachedValue<T>> GetAsync<TState, T>(
        HttpContext http,
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> load,
        CacheEntryOptions options,
        CancellationToken cancellationToken)
    {
        var cached = await cache.GetAsync<T>(key, cancellationToken);
        if (cached.Found)
        {
            stats.CacheHit();
            CacheHeader.Set(http, CacheHeader.Hit);
            return new CachedValue<T>(cached.Value, FromCache: true);
        }

        stats.CacheMiss();
        CacheHeader.Set(http, CacheHeader.Miss);
        var value = await cache.GetOrSetAsync(key, state, load, options, cancellationToken);
        return new CachedValue<T>(value, FromCache: false);
    }
}
