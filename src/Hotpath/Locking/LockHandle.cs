using Hotpath.Locking.Internals;

namespace Hotpath.Locking;

/// <summary>
/// A held lock. Dispose it (<c>await using</c>) to release the lock; releasing is a compare-and-delete,
/// so a handle whose lease ran out never frees a lock someone else now holds.
/// </summary>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly LockService _service;
    private readonly string _owner;
    private readonly CancellationTokenSource _lost;
    private readonly Lock _gate = new();
    private TimeSpan _lease;
    private ITimer? _extender;
    private Task? _extending;
    private int _released;

    internal LockHandle(LockService service, string name, string owner, long fencingToken, TimeSpan lease, long sentAt, bool autoExtend)
    {
        _service = service;
        _owner = owner;
        _lease = lease;
        Name = name;
        FencingToken = fencingToken;
        var time = service.Time;

        // The lease is counted from before the acquire was sent: the server's copy can only end later.
        _lost = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _lost.Token.UnsafeRegister(static state => ((LockHandle)state!)._service.Lost((LockHandle)state!), this);
        _lost.CancelAfter(Remaining(lease, sentAt));
        if (autoExtend)
        {
            var period = lease / 3;
            _extender = time.CreateTimer(static state => ((LockHandle)state!).OnExtendTimer(), this, period, period);
        }
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>
    /// A number larger than that of every earlier acquisition of this lock name. Pass it to the
    /// resource the lock protects, and have the resource refuse a write carrying a token smaller than
    /// the largest it has seen: that stops a holder whose lease ran out (a long GC pause, a slow
    /// network) from overwriting the work of the next holder.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>
    /// Cancelled when this handle knows the lock is no longer held: its lease ran out (measured on this
    /// machine's clock from before the acquire was sent), or an extension found the lock gone or held
    /// by another. Not cancelled by a normal release.
    /// </summary>
    public CancellationToken HandleLostToken => _lost.Token;

    /// <summary>
    /// Extends the lease to <paramref name="lease"/> from now, if this handle still holds the lock. One
    /// round trip (a compare-and-<c>PEXPIRE</c> script).
    /// </summary>
    /// <param name="lease">The new lease; <see langword="null"/> uses the lease the lock was acquired with.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns><see langword="true"/> when the lease was extended; <see langword="false"/> when the lock is no longer held (and <see cref="HandleLostToken"/> is then cancelled).</returns>
    /// <exception cref="StackExchange.Redis.RedisException">The server could not be reached; the lease is unchanged.</exception>
    public async ValueTask<bool> ExtendAsync(TimeSpan? lease = null, CancellationToken cancellationToken = default)
    {
        if (lease is { } value)
        {
            LockService.ValidateLease(value, nameof(lease));
            _lease = value;
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
        return await ExtendCoreAsync(_lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases the lock if this handle still holds it. One round trip (a compare-and-delete script).
    /// A fault is logged and swallowed: the lease then frees the lock when it runs out.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns><see langword="true"/> when this handle still held the lock and released it; <see langword="false"/> when its lease had run out, it was already released, or the server could not be reached.</returns>
    public async ValueTask<bool> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return false;
        }

        Task? extending;
        lock (_gate)
        {
            _extender?.Dispose();
            _extender = null;
            extending = _extending;
        }

        if (extending is not null)
        {
            await extending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // The lost token must not fire for a lock given back on purpose.
        _lost.CancelAfter(Timeout.InfiniteTimeSpan);
        return await _service.ReleaseAsync(this, _owner, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the lock; see <see cref="ReleaseAsync"/>.</summary>
    /// <returns>A task that completes when the lock is released.</returns>
    public async ValueTask DisposeAsync() => await ReleaseAsync().ConfigureAwait(false);

    private async Task<bool> ExtendCoreAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var sentAt = _service.Time.GetTimestamp();
        var extended = await _service.ExtendAsync(Name, _owner, lease, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _released) != 0)
        {
            return extended;
        }

        if (extended)
        {
            if (!_lost.IsCancellationRequested)
            {
                _lost.CancelAfter(Remaining(lease, sentAt));
            }
        }
        else
        {
            MarkLost();
        }

        return extended;
    }

    private void OnExtendTimer()
    {
        lock (_gate)
        {
            if (_extender is null || _extending is { IsCompleted: false })
            {
                return;
            }

            if (_lost.IsCancellationRequested)
            {
                _extender.Dispose();
                _extender = null;
                return;
            }

            _extending = AutoExtendAsync();
        }
    }

    private async Task AutoExtendAsync()
    {
        try
        {
            await ExtendCoreAsync(_lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (LockService.IsStoreFault(ex))
        {
            // Keep trying at the next tick; the lost token fires if the lease runs out first.
            _service.ExtensionFaulted(this, ex);
        }
    }

    private void MarkLost()
    {
        if (_lost.IsCancellationRequested)
        {
            return;
        }

        try
        {
            _lost.Cancel();
        }
        catch (AggregateException ex)
        {
            _service.LostCallbackFailed(ex);
        }
    }

    private TimeSpan Remaining(TimeSpan lease, long sentAt)
    {
        var remaining = lease - _service.Time.GetElapsedTime(sentAt);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
