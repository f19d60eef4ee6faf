namespace Hotpath.Locking.Internals;

/// <summary>
/// Locks held in this process, used when the cache is disabled (<c>REDIS_URL=none</c>): the same
/// leases and owner checks, excluding only callers in this process. Fencing tokens come from one
/// counter for the whole store, so they increase per name as well.
/// </summary>
internal sealed class InProcessLockStore(TimeProvider time) : ILockStore
{
    private const int SweepThreshold = 1024;

    private readonly Dictionary<string, Holder> _held = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _fence;

    public ValueTask<LockAttempt> TryAcquireAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_held.TryGetValue(name, out var holder) && holder.ExpiresAt > now)
            {
                return new ValueTask<LockAttempt>(LockAttempt.Busy(time.GetElapsedTime(now, holder.ExpiresAt)));
            }

            if (_held.Count >= SweepThreshold)
            {
                Sweep(now);
            }

            _held[name] = new Holder(owner, now + Ticks(lease));
            return new ValueTask<LockAttempt>(LockAttempt.Taken(++_fence));
        }
    }

    public ValueTask<bool> ExtendAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_held.TryGetValue(name, out var holder) && holder.Owner == owner && holder.ExpiresAt > now)
            {
                _held[name] = holder with { ExpiresAt = now + Ticks(lease) };
                return new ValueTask<bool>(true);
            }

            return new ValueTask<bool>(false);
        }
    }

    public ValueTask<bool> ReleaseAsync(string name, string owner, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_held.TryGetValue(name, out var holder) && holder.Owner == owner)
            {
                _held.Remove(name);
                return new ValueTask<bool>(holder.ExpiresAt > now);
            }

            return new ValueTask<bool>(false);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private void Sweep(long now)
    {
        foreach (var (name, holder) in _held)
        {
            if (holder.ExpiresAt <= now)
            {
                _held.Remove(name);
            }
        }
    }

    private readonly record struct Holder(string Owner, long ExpiresAt);
}
