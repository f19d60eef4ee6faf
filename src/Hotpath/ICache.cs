namespace Hotpath;

/// <summary>
/// The typed cache service. Values are serialized (System.Text.Json by default) and stored in the
/// RESP server under the configured key prefix.
/// </summary>
/// <remarks>
/// Faults never escape a read: when the server is unreachable, slow past
/// <see cref="HotpathOptions.OperationTimeout"/> or holds bytes that cannot be read, a read is a
/// miss and the fault is logged once per burst. Writes and deletes swallow faults the same way
/// unless <see cref="HotpathOptions.ThrowOnWriteErrors"/> is set. Keys must be non-empty and at most
/// <see cref="HotpathOptions.MaxKeyLength"/> characters; build them with <see cref="CacheKey"/>.
/// </remarks>
public interface ICache
{
    /// <summary>
    /// Reads a value. No round trip on a memory-tier hit; otherwise one (a second one for an entry's tags
    /// only when their versions are not already known to this instance).
    /// </summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns>A hit with the value, or a miss.</returns>
    ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Stores a value with a time to live. One round trip.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The cache key.</param>
    /// <param name="value">The value; <see langword="null"/> is stored as a cached null.</param>
    /// <param name="ttl">The time to live; <see langword="null"/> uses <see cref="HotpathOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Stores a value with per-entry options. One round trip; two when the entry carries tags.</summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The cache key.</param>
    /// <param name="value">The value; <see langword="null"/> is stored as a cached null.</param>
    /// <param name="options">Time to live and tags.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the cached value, or runs <paramref name="factory"/> once, caches its result and returns it.
    /// Concurrent misses on the same key in this process share one factory run; a factory exception
    /// reaches every waiter and nothing is cached. A write or delete of the key while the factory runs
    /// keeps the factory's (possibly stale) result out of the cache.
    /// </summary>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The cache key.</param>
    /// <param name="factory">Produces the value on a miss, typically from the database.</param>
    /// <param name="ttl">The time to live; <see langword="null"/> uses <see cref="HotpathOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Cancels this caller's wait; the factory is cancelled only when every waiter has cancelled.</param>
    ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="GetOrSetAsync{T}(string, Func{CancellationToken, ValueTask{T}}, TimeSpan?, CancellationToken)"/>
    /// with per-entry options and an explicit state for the factory, so the factory can be a static lambda.
    /// </summary>
    /// <typeparam name="TState">The state passed to the factory.</typeparam>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <param name="key">The cache key.</param>
    /// <param name="state">Passed to <paramref name="factory"/>.</param>
    /// <param name="factory">Produces the value on a miss.</param>
    /// <param name="options">Time to live and tags; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">Cancels this caller's wait; the factory is cancelled only when every waiter has cancelled.</param>
    ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes one key. One round trip.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns><see langword="true"/> when the key existed.</returns>
    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Deletes several keys in one round trip (one per hash slot on a cluster).</summary>
    /// <param name="keys">The cache keys.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns>How many of the keys existed.</returns>
    ValueTask<long> DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Whether the key holds a readable, current value. One round trip (two with tags); reads no payload into objects.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives an existing, current entry a new time to live (a sliding expiry, e.g. for a session): its
    /// logical expiry and the key's lifetime both move, and memory copies on every instance are dropped so
    /// they read the new expiry. One round trip (plus a backplane message with the memory tier). A missing
    /// or expired entry is left alone; while the server is unreachable nothing changes and the call returns false.
    /// </summary>
    /// <param name="key">The cache key.</param>
    /// <param name="ttl">The new time to live; must be positive.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns><see langword="true"/> when the key existed.</returns>
    ValueTask<bool> RefreshAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>The remaining time to live of a key, or <see langword="null"/> when it does not exist. One round trip.</summary>
    /// <param name="key">The cache key.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    ValueTask<TimeSpan?> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Invalidates every entry carrying <paramref name="tag"/>: one round trip however many entries
    /// carry it (the tag's version is bumped; entries written under an older version read as misses).
    /// </summary>
    /// <param name="tag">The tag. Any string; it is escaped.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    ValueTask InvalidateTagAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes every key matching a glob pattern (after the key prefix) on every primary, with
    /// <c>SCAN</c> and batched <c>UNLINK</c>, never <c>KEYS</c>. Build the pattern with
    /// <see cref="CacheKey.Pattern(ref CacheKeyInterpolatedStringHandler)"/> so user input cannot act as a glob.
    /// Costs one round trip per batch of <see cref="HotpathOptions.PatternBatchSize"/> keys.
    /// </summary>
    /// <param name="pattern">A glob pattern over cache keys.</param>
    /// <param name="cancellationToken">Stops the scan between batches.</param>
    /// <returns>How many keys were deleted.</returns>
    ValueTask<long> DeleteByPatternAsync(string pattern, CancellationToken cancellationToken = default);
}
