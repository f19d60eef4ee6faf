using System.Collections.Concurrent;

namespace Hotpath.RateLimiting;

/// <summary>
/// The allowances of one policy in this process, bounded: beyond its capacity the least recently used
/// partitions are dropped. A dropped allowance loses its leased permits, which can only admit fewer,
/// so eviction never loosens a limit.
/// </summary>
internal sealed class LocalAllowanceStore(int capacity)
{
    private readonly ConcurrentDictionary<string, LocalAllowance> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private int _count;
    private long _evictions;

    public int Capacity => capacity;

    /// <summary>The partitions held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The partitions dropped so far.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    public LocalAllowance Get(string key)
    {
        if (_entries.TryGetValue(key, out var allowance))
        {
            return allowance;
        }

        var created = new LocalAllowance();
        allowance = _entries.GetOrAdd(key, created);
        if (ReferenceEquals(allowance, created) && Interlocked.Increment(ref _count) > capacity)
        {
            Evict();
        }

        return allowance;
    }

    private void Evict()
    {
        lock (_evicting)
        {
            var excess = Volatile.Read(ref _count) - capacity;
            if (excess <= 0)
            {
                return;
            }

            // Drop a tenth of the capacity beyond the excess, so a flood of new partitions pays for one
            // sort every capacity / 10 insertions rather than one per insertion.
            var snapshot = _entries.ToArray();
            Array.Sort(snapshot, static (a, b) => Volatile.Read(ref a.Value.LastUsed).CompareTo(Volatile.Read(ref b.Value.LastUsed)));
            var drop = Math.Min(snapshot.Length, excess + (capacity / 10));
            for (var i = 0; i < drop; i++)
            {
                if (_entries.TryRemove(snapshot[i]))
                {
                    snapshot[i].Value.Evicted = true;
                    Interlocked.Decrement(ref _count);
                    Interlocked.Increment(ref _evictions);
                }
            }
        }
    }
}
