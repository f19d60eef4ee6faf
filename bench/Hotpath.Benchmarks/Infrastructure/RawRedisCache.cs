using System.Text.Json;
using StackExchange.Redis;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// The floor: what a developer writes by hand with StackExchange.Redis and System.Text.Json — one
/// <c>GET</c> or <c>SET</c> and the JSON work, nothing else (no envelope, no fault handling, no coalescing).
/// </summary>
public sealed class RawRedisCache(IDatabase database)
{
    public IDatabase Database => database;

    /// <summary>The value, or <see langword="null"/> on a miss.</summary>
    public async Task<T?> GetAsync<T>(string key)
    {
        var value = await database.StringGetAsync(key).ConfigureAwait(false);
        return value.IsNull ? default : JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)value).Span, Payloads.TypeInfo<T>());
    }

    public Task<bool> SetAsync<T>(string key, T value, TimeSpan ttl) =>
        database.StringSetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, Payloads.TypeInfo<T>()), ttl);

    /// <summary>Naive cache-aside: every caller that misses runs the factory and writes.</summary>
    public async Task<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, TimeSpan ttl)
    {
        var value = await database.StringGetAsync(key).ConfigureAwait(false);
        if (!value.IsNull)
        {
            return JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)value).Span, Payloads.TypeInfo<T>())!;
        }

        var fresh = await factory(state, CancellationToken.None).ConfigureAwait(false);
        await SetAsync(key, fresh, ttl).ConfigureAwait(false);
        return fresh;
    }
}
