namespace Hotpath.Locking;

/// <summary>
/// Named distributed locks with leases and fencing tokens, held in the shared RESP server so every
/// instance of the application excludes every other. Register with <c>AddHotpath(…).AddLocks()</c>.
/// </summary>
/// <remarks>
/// <para>
/// A lock is held for a lease: if the holder crashes, the lock frees itself when the lease runs out.
/// Only the holder can release or extend it (a script compares the holder's id before it deletes or
/// re-expires the key). Every acquisition of a name gets a larger <see cref="LockHandle.FencingToken"/>
/// than the one before, so a resource that records the last token it saw can refuse a holder whose
/// lease ran out while it was paused.
/// </para>
/// <para>
/// With the cache disabled (<c>REDIS_URL=none</c>) the same service excludes only within this process.
/// A fault talking to the server is thrown to the caller (a lock cannot be assumed held).
/// </para>
/// </remarks>
public interface ILockService
{
    /// <summary>
    /// Tries to acquire the lock <paramref name="name"/>, waiting up to <paramref name="wait"/> for the
    /// holder to let go. One round trip when the lock is free; while waiting, another round trip after
    /// each release in this process and otherwise after a back-off between
    /// <see cref="LockOptions.MinRetryDelay"/> and <see cref="LockOptions.MaxRetryDelay"/> (never
    /// longer than the holder's remaining lease).
    /// </summary>
    /// <param name="name">The lock's name; any non-empty string, escaped into the key.</param>
    /// <param name="lease">How long the lock is held unless extended or released; must be positive.</param>
    /// <param name="wait">How long to wait for the lock; <see cref="TimeSpan.Zero"/> (the default) tries once, <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The handle, to be disposed to release the lock; <see langword="null"/> when the lock was not acquired in time.</returns>
    /// <exception cref="StackExchange.Redis.RedisException">The server could not be reached or answered with an error.</exception>
    ValueTask<LockHandle?> TryAcquireAsync(string name, TimeSpan lease, TimeSpan wait = default, CancellationToken cancellationToken = default);

    /// <summary>
    /// Acquires the lock <paramref name="name"/>, waiting up to <paramref name="wait"/>; the same round
    /// trips as <see cref="TryAcquireAsync"/>.
    /// </summary>
    /// <param name="name">The lock's name; any non-empty string, escaped into the key.</param>
    /// <param name="lease">How long the lock is held unless extended or released; must be positive.</param>
    /// <param name="wait">How long to wait; <see langword="null"/> (the default) waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The handle, to be disposed to release the lock.</returns>
    /// <exception cref="TimeoutException">The lock was not acquired within <paramref name="wait"/>.</exception>
    /// <exception cref="StackExchange.Redis.RedisException">The server could not be reached or answered with an error.</exception>
    ValueTask<LockHandle> AcquireAsync(string name, TimeSpan lease, TimeSpan? wait = null, CancellationToken cancellationToken = default);
}
