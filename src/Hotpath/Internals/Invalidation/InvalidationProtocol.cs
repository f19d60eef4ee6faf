using System.Globalization;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// The one owner of the order in which every write, delete, tag invalidation, pattern delete and
/// replay runs. Callers say only what to send; this class does the rest, always in this order:
/// <list type="number">
/// <item>detach the in-flight factory runs the invalidation touches, so later callers do not share them;</item>
/// <item>evict the memory tier, so nothing on this instance serves the old value from here on;</item>
/// <item>ask the circuit breaker; refused, the invalidation is queued for replay (nothing was sent);</item>
/// <item>send the server call;</item>
/// <item>on success: close the breaker, record the duration, evict the memory tier again (a read that
/// raced the call may have refilled it; a write stores its own value instead), announce on the backplane;</item>
/// <item>on a fault, or the caller's cancellation once the command may have been sent: evict again, queue
/// for replay (the replay announces once it lands), report the fault once per burst, and rethrow when the
/// caller cancelled or asked for write errors.</item>
/// </list>
/// A replay runs steps 4 and 5 and throws on a fault, so its queue keeps the item.
/// </summary>
internal sealed class InvalidationProtocol
{
    private readonly IInvalidationTarget _target;
    private readonly MemoryTier? _memory;
    private readonly Backplane? _backplane;
    private readonly FaultReporter _faults;
    private readonly HotpathMetrics _metrics;
    private readonly HotpathOptions _options;

    public InvalidationProtocol(IInvalidationTarget target, MemoryTier? memory, Backplane? backplane, FaultReporter faults, HotpathMetrics metrics, HotpathOptions options)
    {
        _target = target;
        _memory = memory;
        _backplane = backplane;
        _faults = faults;
        _metrics = metrics;
        _options = options;
    }

    /// <summary>Set once the database exists; invalidations that cannot be confirmed wait here.</summary>
    public InvalidationReplay? Replay { get; set; }

    /// <summary>
    /// Runs one invalidation through the protocol. <paramref name="send"/> makes the server call;
    /// <paramref name="settle"/>, when given, replaces the second eviction after a successful call (a write
    /// stores the value it wrote). Returns what <paramref name="send"/> returned, or <paramref name="refused"/>
    /// when the call was refused or failed and the application does not ask for write errors.
    /// </summary>
    public async ValueTask<TResult> RunAsync<TState, TResult>(
        Invalidation invalidation,
        string operation,
        TState state,
        Func<TState, CancellationToken, Task<TResult>> send,
        TResult refused,
        CancellationToken cancellationToken,
        Action<TState, TResult>? settle = null)
    {
        Prepare(invalidation);
        if (!_faults.Allow())
        {
            Queue(invalidation);
            if (_options.ThrowOnWriteErrors)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The cache server is failing; the circuit breaker is open.");
            }

            return refused;
        }

        var started = _metrics.StartTiming();
        TResult result;
        try
        {
            result = await send(state, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The command may be on its way: the outcome is unknown, exactly as after a fault.
            Evict(invalidation);
            Queue(invalidation);
            AnnounceBestEffort(invalidation);
            throw;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            Evict(invalidation);
            Queue(invalidation);
            _faults.Report(operation, ex);
            RecordError(invalidation, operation);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return refused;
        }

        _faults.Succeeded();
        RecordSuccess(invalidation, operation, started);
        if (settle is null)
        {
            Evict(invalidation);
        }
        else
        {
            settle(state, result);
        }

        try
        {
            await AnnounceAsync(invalidation).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // The server took the call but other instances may not have heard: the replay announces again.
            Queue(invalidation);
            _faults.Report(operation, ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }

        return result;
    }

    /// <summary>Replays one queued invalidation: the server call, then eviction and announcement; throws while the server is unreachable.</summary>
    public async Task ReplayAsync(InvalidationKind kind, string payload)
    {
        var invalidation = new Invalidation(kind, payload);
        await _target.SendAsync(invalidation, CancellationToken.None).ConfigureAwait(false);
        _faults.Succeeded();
        Evict(invalidation);
        await AnnounceAsync(invalidation).ConfigureAwait(false);
    }

    private void Prepare(Invalidation invalidation)
    {
        foreach (var payload in invalidation)
        {
            _target.DetachFlights(invalidation.Kind, payload);
        }

        Evict(invalidation);
    }

    private void Evict(Invalidation invalidation)
    {
        if (_memory is null)
        {
            return;
        }

        foreach (var payload in invalidation)
        {
            switch (invalidation.Kind)
            {
                case InvalidationKind.Key:
                    _memory.Evict(payload);
                    break;
                case InvalidationKind.Tag:
                    _memory.InvalidateTag(payload);
                    break;
                default:
                    _memory.Clear();
                    return;
            }
        }
    }

    private void Queue(Invalidation invalidation)
    {
        if (Replay is null)
        {
            return;
        }

        foreach (var payload in invalidation)
        {
            Replay.Enqueue(invalidation.Kind, payload);
        }
    }

    private async Task AnnounceAsync(Invalidation invalidation)
    {
        if (_backplane is null)
        {
            return;
        }

        foreach (var payload in invalidation)
        {
            await Announce(invalidation.Kind, payload).ConfigureAwait(false);
        }
    }

    private void AnnounceBestEffort(Invalidation invalidation)
    {
        if (_backplane is null)
        {
            return;
        }

        foreach (var payload in invalidation)
        {
            _ = Announce(invalidation.Kind, payload).ContinueWith(
                static t => _ = t.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    // A reset carries the generation it moved to, so other instances adopt it without a round trip.
    private Task Announce(InvalidationKind kind, string payload) =>
        _backplane!.PublishAsync(kind, kind == InvalidationKind.Clear ? _target.Generation.ToString(CultureInfo.InvariantCulture) : payload);

    private void RecordSuccess(Invalidation invalidation, string operation, long started)
    {
        switch (invalidation.Kind)
        {
            case InvalidationKind.Key:
                _metrics.RecordDuration(started, invalidation.First, operation);
                break;
            case InvalidationKind.Tag:
                _metrics.TagInvalidated();
                break;
        }
    }

    private void RecordError(Invalidation invalidation, string operation)
    {
        if (invalidation.Kind == InvalidationKind.Key)
        {
            _metrics.Error(invalidation.First, operation);
        }
    }
}

/// <summary>What an invalidation removes: one key, several keys, a tag, a pattern, or everything under the prefix.</summary>
internal readonly struct Invalidation
{
    private readonly string[]? _many;

    public Invalidation(InvalidationKind kind, string payload)
    {
        Kind = kind;
        First = payload;
        _many = null;
    }

    /// <summary>Several keys in one call (never empty).</summary>
    public Invalidation(string[] keys)
    {
        Kind = InvalidationKind.Key;
        First = keys[0];
        _many = keys.Length > 1 ? keys : null;
    }

    public InvalidationKind Kind { get; }

    /// <summary>The key, escaped tag or pattern; the first key of several.</summary>
    public string First { get; }

    public Enumerator GetEnumerator() => new(First, _many);

    public struct Enumerator(string first, string[]? many)
    {
        private int _index = -1;

        public readonly string Current => many is null ? first : many[_index];

        public bool MoveNext() => ++_index < (many?.Length ?? 1);
    }
}

/// <summary>The side of an invalidation only the cache knows: its in-flight factory runs, and how to send each kind to the server.</summary>
internal interface IInvalidationTarget
{
    void DetachFlights(InvalidationKind kind, string payload);

    /// <summary>The cache generation, announced with a reset.</summary>
    long Generation { get; }

    /// <summary>Sends an invalidation as a replay sends it (a queued write replays as a delete of its key).</summary>
    Task SendAsync(Invalidation invalidation, CancellationToken cancellationToken);
}

internal enum InvalidationKind : byte
{
    Key,
    Tag,
    Pattern,

    /// <summary>Every cached value: the reset after an overflow of the replay queue (one generation move, see HotpathCache.Generation.cs).</summary>
    Clear,
}
