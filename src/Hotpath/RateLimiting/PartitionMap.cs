using System.Collections.Concurrent;

namespace Hotpath.RateLimiting;

/// <summary>What a <see cref="PartitionMap{T}"/> holds: something that knows when it was last used and can be let go.</summary>
internal interface IPartitionEntry
{
    /// <summary>When the partition was last asked for a permit (a <see cref="System.Diagnostics.Stopwatch"/> timestamp); read without a lock.</summary>
    long LastUsed { get; }

    /// <summary>Called once, when the map drops the entry; a caller still holding it may go on using it.</summary>
    void Evicted();
}

/// <summary>
/// One policy's per-partition state in this process, bounded: beyond its capacity the least recently
/// used partitions are dropped. Lookups take no lock; only an insertion that passes the capacity sorts.
/// </summary>
internal sealed class PartitionMap<T>(int capacity)
    where T : class, IPartitionEntry
{
    private readonly ConcurrentDictionary<string, T> _entries = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private int _count;
    private long _evictions;

    public int Capacity => capacity;

    /// <summary>The partitions held.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The partitions dropped so far.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>The partition's entry, made with <paramref name="create"/> (which may run more than once in a race; one result wins) when it is not held.</summary>
    public T Get<TState>(string key, Func<string, TState, T> create, TState state)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            return entry;
        }

        var created = create(key, state);
        entry = _entries.GetOrAdd(key, created);
        if (!ReferenceEquals(entry, created))
        {
            created.Evicted();
            return entry;
        }

        if (Interlocked.Increment(ref _count) > capacity)
        {
            Evict();
        }

        return entry;
    }

    /// <summary>Drops every entry (on disposal of the owner).</summary>
    public void Clear()
    {
        foreach (var pair in _entries)
        {
            if (_entries.TryRemove(pair))
            {
                Interlocked.Decrement(ref _count);
                pair.Value.Evicted();
            }
        }
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
            Array.Sort(snapshot, static (a, b) => a.Value.LastUsed.CompareTo(b.Value.LastUsed));
            var drop = Math.Min(snapshot.Length, excess + (capacity / 10));
            for (var i = 0; i < drop; i++)
            {
                if (_entries.TryRemove(snapshot[i]))
                {
                    Interlocked.Decrement(ref _count);
                    Interlocked.Increment(ref _evictions);
                    snapshot[i].Value.Evicted();
                }
            }
        }
    }
}
