using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hotpath.Internals;

namespace Hotpath.Locking.Internals;

/// <summary>
/// The locks' instruments on the <c>Hotpath</c> meter, tagged <c>lock</c> with a label chosen by
/// <see cref="LockOptions.MetricsLabel"/> (capped in number), never with the lock's name.
/// </summary>
internal sealed class LockMetrics
{
    internal const string DefaultLabel = "default";
    internal const string OtherLabel = "(other)";
    internal const int MaxLabels = 32;

    private readonly Counter<long> _acquired;
    private readonly Counter<long> _timeouts;
    private readonly Counter<long> _lost;
    private readonly Counter<long> _errors;
    private readonly Func<string, string>? _labeler;
    private readonly ConcurrentDictionary<string, string> _labels = new(StringComparer.Ordinal);

    public LockMetrics(HotpathMetrics metrics, LockOptions options)
    {
        var meter = metrics.Meter;
        _labeler = options.MetricsLabel;
        _acquired = meter.CreateCounter<long>("hotpath.lock.acquisitions", "{acquisition}", "Locks acquired.");
        _timeouts = meter.CreateCounter<long>("hotpath.lock.timeouts", "{timeout}", "Lock acquisitions that gave up because the lock stayed held past the wait.");
        _lost = meter.CreateCounter<long>("hotpath.lock.lost", "{lock}", "Held locks lost before release: the lease ran out or the lock was taken over.");
        _errors = meter.CreateCounter<long>("hotpath.lock.errors", "{error}", "Lock operations that failed against the server.");
    }

    public void Acquired(string label) => Add(_acquired, label);

    public void TimedOut(string label) => Add(_timeouts, label);

    public void Lost(string label) => Add(_lost, label);

    public void Error(string label) => Add(_errors, label);

    /// <summary>The label of a lock name: the configured one, interned and capped, or <see cref="DefaultLabel"/>.</summary>
    public string Label(string name)
    {
        if (_labeler is null)
        {
            return DefaultLabel;
        }

        var label = _labeler(name) ?? DefaultLabel;
        if (_labels.TryGetValue(label, out var interned))
        {
            return interned;
        }

        return _labels.Count >= MaxLabels ? OtherLabel : _labels.GetOrAdd(label, label);
    }

    private static void Add(Counter<long> counter, string label)
    {
        if (counter.Enabled)
        {
            counter.Add(1, new KeyValuePair<string, object?>("lock", label));
        }
    }
}
