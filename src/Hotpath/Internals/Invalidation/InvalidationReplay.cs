using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hotpath.Internals;

/// <summary>
/// Invalidations whose outcome on the server is unknown (a fault, an open breaker, or a caller that
/// cancelled after the command may have been sent), kept bounded and deduplicated, and replayed as soon
/// as the server answers. While any are pending the instance does not trust what the server holds:
/// reads miss and factories run without storing. Past the capacity it keeps one coarse action
/// instead (<see cref="InvalidationKind.Clear"/>).
/// </summary>
/// <remarks>
/// Nothing newer is ever lost to a replay that is already running: each pending item carries the
/// sequence number of its latest failure and is removed only if no failure came after the replay
/// started; a failure while the coarse fallback runs makes the fallback run again, since it may have
/// reached the server before that failure.
/// </remarks>
internal sealed class InvalidationReplay
{
    private readonly ConcurrentDictionary<(InvalidationKind Kind, string Payload), long> _pending = new();
    private readonly Lock _gate = new();
    private readonly ResilienceOptions _options;
    private readonly Func<InvalidationKind, string, Task> _replay;
    private readonly ILogger _logger;
    private readonly HotpathMetrics _metrics;
    private readonly TimeProvider _time;
    private volatile bool _overflowed;
    private long _sequence;
    private long _overflowFailures;
    private int _running;
    private long _attempts;

    public InvalidationReplay(ResilienceOptions options, Func<InvalidationKind, string, Task> replay, ILogger logger, HotpathMetrics metrics, TimeProvider time)
    {
        _options = options;
        _replay = replay;
        _logger = logger;
        _metrics = metrics;
        _time = time;
    }

    public bool IsPending => _overflowed || !_pending.IsEmpty;

    public int Count => _pending.Count;

    public bool Overflowed => _overflowed;

    /// <summary>How many replay passes have run, successful or not; read by tests.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    public void Enqueue(InvalidationKind kind, string payload)
    {
        lock (_gate)
        {
            if (_overflowed)
            {
                _overflowFailures++;
            }
            else if (_pending.Count >= _options.InvalidationQueueCapacity && !_pending.ContainsKey((kind, payload)))
            {
                _overflowed = true;
                _overflowFailures++;
                _pending.Clear();
                _metrics.InvalidationQueueOverflowed();
                Log.InvalidationQueueOverflowed(_logger, _options.InvalidationQueueCapacity);
            }
            else
            {
                var sequence = ++_sequence;
                if (_pending.TryAdd((kind, payload), sequence))
                {
                    _metrics.InvalidationQueued();
                }
                else
                {
                    _pending[(kind, payload)] = sequence;
                }
            }
        }

        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            _ = RunAsync();
        }
    }

    /// <summary>
    /// Asks for the coarse reset without an overflow (a replica may have taken over without the latest
    /// writes): pending until it has run, so reads distrust the server meanwhile.
    /// </summary>
    public void RequestReset()
    {
        lock (_gate)
        {
            _overflowed = true;
            _overflowFailures++;
            _pending.Clear();
        }

        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            _ = RunAsync();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (IsPending)
            {
                await Task.Delay(_options.ReplayInterval, _time).ConfigureAwait(false);
                await ReplayOnceAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);

            // An invalidation queued just as the loop ended must not wait for the next one.
            if (IsPending && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
            {
                _ = RunAsync();
            }
        }
    }

    /// <summary>Replays everything pending, the coarse fallback first; stops at the first failure.</summary>
    internal async Task<bool> ReplayOnceAsync()
    {
        Interlocked.Increment(ref _attempts);
        try
        {
            if (_overflowed)
            {
                long failuresBefore;
                lock (_gate)
                {
                    failuresBefore = _overflowFailures;
                }

                await _replay(InvalidationKind.Clear, string.Empty).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_overflowFailures == failuresBefore)
                    {
                        _overflowed = false;
                    }
                }

                if (_overflowed)
                {
                    // A failure arrived while the fallback ran: run it again on the next pass.
                    return true;
                }

                Log.InvalidationsReplayed(_logger, -1);
            }

            var replayed = 0;
            foreach (var item in _pending.ToArray())
            {
                await _replay(item.Key.Kind, item.Key.Payload).ConfigureAwait(false);

                // Removed only if no failure of the same item came in while it was replayed.
                if (_pending.TryRemove(item))
                {
                    _metrics.InvalidationReplayed();
                    replayed++;
                }
            }

            if (replayed > 0)
            {
                Log.InvalidationsReplayed(_logger, replayed);
            }

            return true;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            return false;
        }
    }
}
