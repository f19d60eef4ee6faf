namespace Hotpath.Locking.Internals;

/// <summary>Where locks live: the RESP server, or this process when the cache is disabled.</summary>
internal interface ILockStore
{
    /// <summary>Takes the lock if it is free (or its lease ran out), atomically with the next fencing token.</summary>
    ValueTask<LockAttempt> TryAcquireAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Re-expires the lock to <paramref name="lease"/> if <paramref name="owner"/> still holds it.</summary>
    ValueTask<bool> ExtendAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Deletes the lock if <paramref name="owner"/> still holds it.</summary>
    ValueTask<bool> ReleaseAsync(string name, string owner, CancellationToken cancellationToken);
}

/// <summary>The outcome of one acquire attempt.</summary>
/// <param name="Acquired">Whether the lock was taken.</param>
/// <param name="FencingToken">The token of this acquisition, when taken.</param>
/// <param name="HolderRemaining">When not taken, how long the current holder's lease still runs, if known.</param>
internal readonly record struct LockAttempt(bool Acquired, long FencingToken, TimeSpan? HolderRemaining)
{
    public static LockAttempt Taken(long fencingToken) => new(true, fencingToken, null);

    public static LockAttempt Busy(TimeSpan? holderRemaining) => new(false, 0, holderRemaining);
}
