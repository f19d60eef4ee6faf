using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hotpath.Internals;

/// <summary>
/// Invalidations that failed because the server was unreachable (deletes, tag invalidations, pattern
/// deletions, and writes whose outcome is unknown), kept bounded and deduplicated, and replayed as
/// soon as the server answers. While any are pending the instance does not trust what the server
/// holds: reads miss and factories run without storing. Past the capacity it keeps one coarse action
/// instead: remove every Hotpath entry under the key prefix on recovery.
/// </summary>
internal sealed class InvalidationReplay
{
    private readonly ConcurrentDictionary<(InvalidationKind Kind, string Payload), byte> _pending = new();
    private readonly ResilienceOptions _options;
    private readonly Func<InvalidationKind, string, Task> _replay;
    private readonly ILogger _logger;
    private readonly HotpathMetrics _metrics;
    private readonly TimeProvider _time;
    private volatile bool _overflowed;
    private int _running;

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

    public void Enqueue(InvalidationKind kind, string payload)
    {
        if (!_overflowed)
        {
            if (_pending.Count >= _options.InvalidationQueueCapacity && !_pending.ContainsKey((kind, payload)))
            {
                _overflowed = true;
                _pending.Clear();
                _metrics.InvalidationQueueOverflowed();
                Log.InvalidationQueueOverflowed(_logger, _options.InvalidationQueueCapacity);
            }
            else if (_pending.TryAdd((kind, payload), 0))
            {
                _metrics.InvalidationQueued();
            }
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

    /// <summary>Replays everything pending, oldest kind of damage first; stops at the first failure.</summary>
    internal async Task<bool> ReplayOnceAsync()
    {
        try
        {
            if (_overflowed)
            {
                await _replay(InvalidationKind.Clear, string.Empty).ConfigureAwait(false);
                _overflowed = false;
                Log.InvalidationsReplayed(_logger, -1);
            }

            var replayed = 0;
            foreach (var item in _pending.Keys)
            {
                await _replay(item.Kind, item.Payload).ConfigureAwait(false);
                _pending.TryRemove(item, out _);
                _metrics.InvalidationReplayed();
                replayed++;
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
