namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>
/// Fault injection over a real cache: reads and writes go through, while deletes and tag invalidations
/// throw as they do when the server is down and <see cref="HotpathOptions.ThrowOnWriteErrors"/> is set.
/// </summary>
internal sealed class FailingInvalidationsCache(ICache inner) : ICache, IDisposable
{
    public int FailedCalls => _failedCalls;

    private int _failedCalls;

    private Exception Fault()
    {
        Interlocked.Increment(ref _failedCalls);
        return new TimeoutException("injected: the server did not answer");
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => throw Fault();

    public ValueTask<long> DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) => throw Fault();

    public ValueTask InvalidateTagAsync(string tag, CancellationToken cancellationToken = default) => ValueTask.FromException(Fault());

    public ValueTask<long> DeleteByPatternAsync(string pattern, CancellationToken cancellationToken = default) => throw Fault();

    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default) => inner.GetAsync<T>(key, cancellationToken);

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, ttl, cancellationToken);

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default) => inner.SetAsync(key, value, options, cancellationToken);

    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        inner.GetOrSetAsync(key, factory, ttl, cancellationToken);

    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) =>
        inner.GetOrSetAsync(key, state, factory, options, cancellationToken);

    public ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default) => inner.ExistsAsync(key, cancellationToken);

    public ValueTask<bool> RefreshAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default) => inner.RefreshAsync(key, ttl, cancellationToken);

    public ValueTask<TimeSpan?> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default) => inner.GetTimeToLiveAsync(key, cancellationToken);

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
