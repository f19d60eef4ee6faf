using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// <see cref="IDistributedCache"/> (Microsoft.Extensions.Caching.StackExchangeRedis) with System.Text.Json
/// on top, as an application uses it: bytes in and out, serialization by hand.
/// </summary>
public sealed class DistributedJsonCache(IDistributedCache cache, DistributedCacheEntryOptions entryOptions)
{
    public IDistributedCache Cache => cache;

    /// <summary>The value, or <see langword="null"/> on a miss.</summary>
    public async Task<T?> GetAsync<T>(string key)
    {
        var bytes = await cache.GetAsync(key).ConfigureAwait(false);
        return bytes is null ? default : JsonSerializer.Deserialize(bytes, Payloads.TypeInfo<T>());
    }

    public Task SetAsync<T>(string key, T value) =>
        cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, Payloads.TypeInfo<T>()), entryOptions);

    /// <summary>Naive cache-aside: every caller that misses runs the factory and writes.</summary>
    public async Task<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory)
    {
        var bytes = await cache.GetAsync(key).ConfigureAwait(false);
        if (bytes is not null)
        {
            return JsonSerializer.Deserialize(bytes, Payloads.TypeInfo<T>())!;
        }

        var fresh = await factory(state, CancellationToken.None).ConfigureAwait(false);
        await SetAsync(key, fresh).ConfigureAwait(false);
        return fresh;
    }
}
