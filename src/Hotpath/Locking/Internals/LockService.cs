using Hotpath.Internals;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Locking.Internals;

/// <summary>
/// <see cref="ILockService"/> over a store: the wait loop, handles, metrics and logs. Waiters in this
/// process are woken when a lock of the same name is released here; waiters for a holder in another
/// process poll with a jittered, doubling back-off capped by the holder's remaining lease.
/// </summary>
internal sealed class LockService : ILockService
{
    internal const int MaxNameLength = 512;

    private readonly ILockStore _store;
    private readonly LockOptions _options;
    private readonly LockMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ReleaseSignal> _signals = new(StringComparer.Ordinal);
    private readonly Lock _signalsGate = new();

    public LockService(ILockStore store, LockOptions options, LockMetrics metrics, ILogger logger, TimeProvider time)
    {
        options.Validate();
        _store = store;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        Time = time;
    }

    public TimeProvider Time { get; }

    internal ILockStore Store => _store;

    public static LockService Create(HotpathConnection connection, LockOptions options, HotpathMetrics metrics, ILoggerFactory loggerFactory, TimeProvider time)
    {
        var logger = loggerFactory.CreateLogger("Hotpath.Locks");
        ILockStore store;
        if (connection.IsDisabled)
        {
            Log.LocksInProcess(logger);
            store = new InProcessLockStore(time);
        }
        else
        {
            store = new RedisLockStore(connection.Database!, options);
        }

        return new LockService(store, options, new LockMetrics(metrics, options), logger, time);
    }

    public ValueTask<LockHandle?> TryAcquireAsync(string name, TimeSpan lease, TimeSpan wait = default, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        ValidateLease(lease, nameof(lease));
        if (wait < TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, "The wait must be zero, positive or Timeout.InfiniteTimeSpan.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return AcquireCoreAsync(name, lease, wait, cancellationToken);
    }

    public async ValueTask<LockHandle> AcquireAsync(string name, TimeSpan lease, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var handle = await TryAcquireAsync(name, lease, wait ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return handle ?? throw new TimeoutException($"The lock was not acquired within {wait}: another holder kept it.");
    }

    private async ValueTask<LockHandle?> AcquireCoreAsync(string name, TimeSpan lease, TimeSpan wait, CancellationToken cancellationToken)
    {
        var label = _metrics.Label(name);
        var owner = Guid.NewGuid().ToString("N");
        var started = Time.GetTimestamp();
        var delay = _options.MinRetryDelay;
        ReleaseSignal? signal = null;
        try
        {
            while (true)
            {
                // Taken before the attempt, so a release that lands between a failed attempt and the wait still wakes us.
                var released = signal?.Current;
                var sentAt = Time.GetTimestamp();
                LockAttempt attempt;
                try
                {
                    attempt = await _store.TryAcquireAsync(name, owner, lease, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsStoreFault(ex) || ex is OperationCanceledException)
                {
                    if (ex is not OperationCanceledException)
                    {
                        _metrics.Error(label);
                    }

                    // The script may have run without us seeing its answer: give back what we may hold
                    // rather than leave the lock taken by nobody until its lease runs out.
                    _ = AbandonAsync(name, owner);
                    throw;
                }

                if (attempt.Acquired)
                {
                    _metrics.Acquired(label);
                    return new LockHandle(this, name, owner, attempt.FencingToken, lease, sentAt, _options.AutoExtend);
                }

                var remaining = wait == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : wait - Time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    _metrics.TimedOut(label);
                    return null;
                }

                if (signal is null)
                {
                    // First miss: from now on a release here wakes us; try again at once in case it already happened.
                    signal = Subscribe(name);
                    continue;
                }

                var pause = Jitter(delay);
                if (attempt.HolderRemaining is { } holder && holder < pause)
                {
                    pause = holder + TimeSpan.FromMilliseconds(1);
                }

                if (remaining < pause)
                {
                    pause = remaining;
                }

                await released!.WaitAsync(pause, Time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
                delay = delay * 2 < _options.MaxRetryDelay ? delay * 2 : _options.MaxRetryDelay;
            }
        }
        finally
        {
            if (signal is not null)
            {
                Unsubscribe(name, signal);
            }
        }
    }

    private async Task AbandonAsync(string name, string owner)
    {
        try
        {
            await _store.ReleaseAsync(name, owner, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFault(ex))
        {
            // Nothing more to do: the lease frees the lock if it was taken.
        }
    }

    internal async ValueTask<bool> ExtendAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.ExtendAsync(name, owner, lease, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFault(ex))
        {
            _metrics.Error(_metrics.Label(name));
            throw;
        }
    }

    internal async ValueTask<bool> ReleaseAsync(LockHandle handle, string owner, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.ReleaseAsync(handle.Name, owner, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFault(ex))
        {
            var label = _metrics.Label(handle.Name);
            _metrics.Error(label);
            Log.ReleaseFailed(_logger, label, ex.GetType().Name, ex);
            return false;
        }
        finally
        {
            Signal(handle.Name);
        }
    }

    internal void ExtensionFaulted(LockHandle handle, Exception exception) =>
        Log.ExtensionFailed(_logger, _metrics.Label(handle.Name), exception.GetType().Name, exception);

    internal void Lost(LockHandle handle)
    {
        var label = _metrics.Label(handle.Name);
        _metrics.Lost(label);
        Log.LockLost(_logger, label);
    }

    internal void LostCallbackFailed(Exception exception) => Log.LostCallbackFailed(_logger, exception);

    internal static bool IsStoreFault(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    internal static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"A lock name must be at most {MaxNameLength} characters; this one has {name.Length}.", nameof(name));
        }
    }

    internal static void ValidateLease(TimeSpan lease, string parameterName)
    {
        if (lease < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(parameterName, lease, "A lease must be at least one millisecond.");
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + (Random.Shared.NextDouble() / 2));

    private ReleaseSignal Subscribe(string name)
    {
        lock (_signalsGate)
        {
            if (!_signals.TryGetValue(name, out var signal))
            {
                signal = new ReleaseSignal();
                _signals.Add(name, signal);
            }

            signal.Waiters++;
            return signal;
        }
    }

    private void Unsubscribe(string name, ReleaseSignal signal)
    {
        lock (_signalsGate)
        {
            if (--signal.Waiters == 0)
            {
                _signals.Remove(name);
            }
        }
    }

    private void Signal(string name)
    {
        TaskCompletionSource? released = null;
        lock (_signalsGate)
        {
            if (_signals.TryGetValue(name, out var signal))
            {
                released = signal.Source;
                signal.Source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        released?.TrySetResult();
    }

    /// <summary>Waiters for one lock name in this process; <see cref="Current"/> completes at the next release.</summary>
    private sealed class ReleaseSignal
    {
        public int Waiters;

        public TaskCompletionSource Source = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Current => Volatile.Read(ref Source).Task;
    }
}
