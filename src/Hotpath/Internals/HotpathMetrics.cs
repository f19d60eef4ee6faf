using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hotpath.Internals;

/// <summary>
/// The cache's instruments on the <c>Hotpath</c> meter. Entries are labelled by key area (the key's
/// first segment, capped in number), never by key.
/// </summary>
internal sealed class HotpathMetrics : IDisposable
{
    internal const int MaxAreas = 64;
    internal const string OtherArea = "(other)";

    // Bucket boundaries for exporters that honour advice (OpenTelemetry does): their defaults are
    // made for milliseconds, so a round trip in seconds would always land in the first bucket.
    private static readonly InstrumentAdvice<double> DurationAdvice = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    };

    private static readonly InstrumentAdvice<double> LagAdvice = new()
    {
        HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    };

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _coalesced;
    private readonly Counter<long> _tagInvalidations;
    private readonly Counter<long> _leaseVoided;
    private readonly Counter<long> _failSafe;
    private readonly Counter<long> _eagerRefreshes;
    private readonly Counter<long> _backplaneSent;
    private readonly Counter<long> _backplaneReceived;
    private readonly Histogram<double> _backplaneLag;
    private readonly Counter<long> _queued;
    private readonly Counter<long> _replayed;
    private readonly Counter<long> _overflows;
    private readonly Counter<long> _circuitOpened;
    private readonly Histogram<double> _duration;
    private readonly ConcurrentDictionary<string, string> _areas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _areaLookup;

    public HotpathMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(HotpathMeter.Name) ?? new Meter(HotpathMeter.Name);
        _areaLookup = _areas.GetAlternateLookup<ReadOnlySpan<char>>();
        _hits = _meter.CreateCounter<long>("hotpath.cache.hits", "{hit}", "Cache reads that found a current value.");
        _misses = _meter.CreateCounter<long>("hotpath.cache.misses", "{miss}", "Cache reads that found no current value.");
        _errors = _meter.CreateCounter<long>("hotpath.cache.errors", "{error}", "Cache operations that failed against the server or could not read an entry.");
        _coalesced = _meter.CreateCounter<long>("hotpath.cache.coalesced_waits", "{wait}", "GetOrSet callers that waited for another caller's factory run in this process.");
        _tagInvalidations = _meter.CreateCounter<long>("hotpath.cache.tag_invalidations", "{invalidation}", "Tag invalidations.");
        _leaseVoided = _meter.CreateCounter<long>("hotpath.cache.lease_voided", "{set}", "Factory results not cached because the key was written or deleted while the factory ran.");
        _failSafe = _meter.CreateCounter<long>("hotpath.cache.fail_safe_activations", "{activation}", "GetOrSet calls answered with a stale value because the factory failed or was too slow.");
        _eagerRefreshes = _meter.CreateCounter<long>("hotpath.cache.eager_refreshes", "{refresh}", "Background refreshes started before an entry expired.");
        _backplaneSent = _meter.CreateCounter<long>("hotpath.backplane.messages_sent", "{message}", "Invalidation messages published to other instances.");
        _backplaneReceived = _meter.CreateCounter<long>("hotpath.backplane.messages_received", "{message}", "Invalidation messages received from other instances.");
        _queued = _meter.CreateCounter<long>("hotpath.cache.invalidations_queued", "{invalidation}", "Invalidations that failed and were queued for replay.");
        _replayed = _meter.CreateCounter<long>("hotpath.cache.invalidations_replayed", "{invalidation}", "Queued invalidations replayed after the server answered again.");
        _overflows = _meter.CreateCounter<long>("hotpath.cache.invalidation_queue_overflows", "{overflow}", "Times the invalidation queue overflowed and fell back to a reset of every cached value.");
        _circuitOpened = _meter.CreateCounter<long>("hotpath.cache.circuit_opened", "{open}", "Times the circuit breaker opened after repeated faults.");
        _duration = _meter.CreateHistogram<double>("hotpath.cache.operation.duration", "s", "Duration of cache operations that reached the server, by operation and key area.", tags: null, DurationAdvice);
        _backplaneLag = _meter.CreateHistogram<double>("hotpath.backplane.lag", "ms", "Time from publishing an invalidation to its arrival at another instance (clocks of both instances).", tags: null, LagAdvice);
    }

    public Meter Meter => _meter;

    public void Lookup(string key, bool hit)
    {
        if (hit)
        {
            Hit(key);
        }
        else
        {
            Miss(key);
        }
    }

    public void Hit(string key, string tier = "l2")
    {
        if (_hits.Enabled)
        {
            _hits.Add(1, new KeyValuePair<string, object?>("area", Area(key)), new KeyValuePair<string, object?>("tier", tier));
        }
    }

    public void FailSafeActivated(string key)
    {
        if (_failSafe.Enabled)
        {
            _failSafe.Add(1, new KeyValuePair<string, object?>("area", Area(key)));
        }
    }

    public void EagerRefresh(string key)
    {
        if (_eagerRefreshes.Enabled)
        {
            _eagerRefreshes.Add(1, new KeyValuePair<string, object?>("area", Area(key)));
        }
    }

    /// <summary>A timestamp to pass to <see cref="RecordDuration"/>, or 0 when nobody listens (then nothing is measured).</summary>
    public long StartTiming() => _duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public void RecordDuration(long started, string key, string operation)
    {
        if (started != 0 && _duration.Enabled)
        {
            var tags = new TagList { { "area", Area(key) }, { "operation", operation } };
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    public void InvalidationQueued() => _queued.Add(1);

    public void InvalidationReplayed() => _replayed.Add(1);

    public void InvalidationQueueOverflowed() => _overflows.Add(1);

    public void CircuitOpened() => _circuitOpened.Add(1);

    public void BackplaneSent(string kind) => _backplaneSent.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void BackplaneReceived(string kind, double lagMilliseconds)
    {
        _backplaneReceived.Add(1, new KeyValuePair<string, object?>("kind", kind));
        _backplaneLag.Record(lagMilliseconds);
    }

    public void Miss(string key)
    {
        if (_misses.Enabled)
        {
            _misses.Add(1, new KeyValuePair<string, object?>("area", Area(key)));
        }
    }

    public void Error(string key, string operation)
    {
        if (_errors.Enabled)
        {
            var tags = new TagList { { "area", Area(key) }, { "operation", operation } };
            _errors.Add(1, tags);
        }
    }

    public void CoalescedWait(string key)
    {
        if (_coalesced.Enabled)
        {
            _coalesced.Add(1, new KeyValuePair<string, object?>("area", Area(key)));
        }
    }

    public void TagInvalidated() => _tagInvalidations.Add(1);

    public void LeaseVoided(string key)
    {
        if (_leaseVoided.Enabled)
        {
            _leaseVoided.Add(1, new KeyValuePair<string, object?>("area", Area(key)));
        }
    }

    /// <summary>The key's first segment, interned; past <see cref="MaxAreas"/> distinct areas, <see cref="OtherArea"/>.</summary>
    internal string Area(string key)
    {
        var colon = key.IndexOf(CacheKey.Separator);
        var span = colon < 0 ? "(none)".AsSpan() : key.AsSpan(0, colon);
        if (_areaLookup.TryGetValue(span, out var area))
        {
            return area;
        }

        if (_areas.Count >= MaxAreas)
        {
            return OtherArea;
        }

        var text = span.ToString();
        return _areas.GetOrAdd(text, text);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
