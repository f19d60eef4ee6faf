using System.Collections.Concurrent;

namespace Hotpath.Internals;

/// <summary>One value held in the memory tier.</summary>
internal sealed class MemoryEntry
{
    public required object? Value { get; init; }

    /// <summary>The type the value was read or written as; a read as another type goes to the server.</summary>
    public required Type ValueType { get; init; }

    /// <summary>When true, <see cref="Value"/> is the serialized payload and each hit deserializes a copy.</summary>
    public required bool IsPayload { get; init; }

    /// <summary>When the entry leaves the memory tier (a <see cref="TimeProvider"/> timestamp).</summary>
    public required long ExpiresAtTimestamp { get; init; }

    public required long CreatedUnixMs { get; init; }

    public required long LogicalExpiryUnixMs { get; init; }

    public required string[]? Tags { get; init; }

    /// <summary>
    /// The local tag epochs seen before the value was read, one per tag, then the tier's tag generation;
    /// a moved epoch means a tag was invalidated since, a moved generation that the tier forgot its epochs.
    /// </summary>
    public required long[]? TagEpochs { get; init; }

    public required int Size { get; init; }

    public long LastAccessTimestamp;

    /// <summary>Set once a background eager refresh has been started for this entry.</summary>
    public int RefreshStarted;
}

/// <summary>What the memory tier looked like before a server read, so a value read before a concurrent invalidation is not stored afterwards.</summary>
internal readonly record struct MemorySnapshot(long Stripe, long Global);

/// <summary>
/// The in-process memory tier (L1): a bounded dictionary of deserialized values, kept coherent by
/// local writes and the backplane. Every invalidation bumps a counter (one per key stripe, plus a global
/// one for tag, pattern and whole-tier invalidations); a value read from the server is stored only if
/// its counters have not moved since before the read, so an invalidation racing a read cannot leave the
/// old value behind.
/// </summary>
internal sealed class MemoryTier
{
    private const int StripeCount = 1024;

    private readonly ConcurrentDictionary<string, MemoryEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _tagEpochs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tagVersions = new(StringComparer.Ordinal);
    private readonly long[] _stripes = new long[StripeCount];
    private readonly MemoryTierOptions _options;
    private readonly TimeProvider _time;
    private long _global;
    private long _tagGeneration;
    private long _size;
    private int _compacting;
    private volatile bool _trusted = true;

    public MemoryTier(MemoryTierOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    public int Count => _entries.Count;

    /// <summary>The entries' approximate size (serialized bytes), the quantity bounded by <see cref="MemoryTierOptions.MaxSizeBytes"/>.</summary>
    public long SizeBytes => Interlocked.Read(ref _size);

    /// <summary>
    /// False while the backplane is down: this instance cannot hear other instances' invalidations, so
    /// it neither serves nor stores memory entries until the subscription is back and the tier cleared.
    /// </summary>
    public bool IsTrusted => _trusted;

    /// <summary>Moves on every tag, pattern and whole-tier invalidation; guards tag versions read from the server.</summary>
    public long GlobalVersion => Volatile.Read(ref _global);

    /// <summary>A tag's server-side version as last read, while the backplane keeps it current.</summary>
    public bool TryGetTagVersion(string escapedTag, out string version)
    {
        if (_trusted && _tagVersions.TryGetValue(escapedTag, out version!))
        {
            return true;
        }

        version = null!;
        return false;
    }

    /// <summary>Remembers tag versions read from the server, unless a tag invalidation arrived since <paramref name="globalBefore"/>.</summary>
    public void StoreTagVersion(string escapedTag, string version, long globalBefore)
    {
        if (!_trusted || GlobalVersion != globalBefore)
        {
            return;
        }

        if (_tagVersions.Count >= _options.MaxTags)
        {
            _tagVersions.Clear();
        }

        _tagVersions[escapedTag] = version;
        if (GlobalVersion != globalBefore)
        {
            _tagVersions.TryRemove(escapedTag, out _);
        }
    }

    public MemorySnapshot Snapshot(string key) =>
        new(Volatile.Read(ref _stripes[Stripe(key)]), Volatile.Read(ref _global));

    public long[]? TagEpochs(IReadOnlyList<string>? tags)
    {
        if (tags is not { Count: > 0 })
        {
            return null;
        }

        // The generation first: epochs forgotten after it was read make the entry outdated, never current.
        var epochs = new long[tags.Count + 1];
        epochs[tags.Count] = Volatile.Read(ref _tagGeneration);
        for (var i = 0; i < tags.Count; i++)
        {
            epochs[i] = _tagEpochs.TryGetValue(tags[i], out var epoch) ? epoch : 0;
        }

        return epochs;
    }

    public bool TryGet(string key, long nowTimestamp, out MemoryEntry entry)
    {
        if (!_trusted || !_entries.TryGetValue(key, out entry!))
        {
            entry = null!;
            return false;
        }

        if (nowTimestamp >= entry.ExpiresAtTimestamp || !TagsCurrent(entry))
        {
            Remove(key, entry);
            entry = null!;
            return false;
        }

        entry.LastAccessTimestamp = nowTimestamp;
        return true;
    }

    /// <summary>Stores an entry read from the server, unless an invalidation touched its key since <paramref name="before"/>.</summary>
    public void Store(string key, MemoryEntry entry, MemorySnapshot before)
    {
        if (!_trusted || Snapshot(key) != before)
        {
            return;
        }

        Put(key, entry);

        // Re-check after publishing: an invalidation that landed between the check and the put removes it.
        if (Snapshot(key) != before)
        {
            Remove(key, entry);
        }
    }

    /// <summary>Invalidates the key in this process (a local write or a backplane message).</summary>
    public void Evict(string key)
    {
        Interlocked.Increment(ref _stripes[Stripe(key)]);
        if (_entries.TryRemove(key, out var removed))
        {
            Interlocked.Add(ref _size, -removed.Size);
        }
    }

    /// <summary>Stores a value this instance just wrote: the write is newer than anything read before it.</summary>
    public void StoreWritten(string key, MemoryEntry entry)
    {
        Evict(key);
        if (_trusted)
        {
            Put(key, entry);
        }
    }

    /// <summary>The number of tags whose invalidations the tier remembers (at most <see cref="MemoryTierOptions.MaxTags"/>).</summary>
    public int TrackedTagCount => _tagEpochs.Count;

    public void InvalidateTag(string tag)
    {
        if (_tagEpochs.Count >= _options.MaxTags && !_tagEpochs.ContainsKey(tag))
        {
            // Forget every epoch, and with the generation make every tagged entry recorded before outdated:
            // an entry that saw epoch 0 of a tag invalidated since must not match a forgotten (0 again) epoch.
            Interlocked.Increment(ref _tagGeneration);
            _tagEpochs.Clear();
        }

        _tagEpochs.AddOrUpdate(tag, 1, static (_, epoch) => epoch + 1);
        Interlocked.Increment(ref _global);
        _tagVersions.TryRemove(tag, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _global);
        _entries.Clear();
        _tagVersions.Clear();
        Interlocked.Exchange(ref _size, 0);
    }

    /// <summary>Stops trusting the tier (the backplane dropped): clear it and serve nothing until <see cref="Trust"/>.</summary>
    public void Distrust()
    {
        _trusted = false;
        Clear();
    }

    /// <summary>Trusts the tier again after the backplane is back; anything stored before is already gone.</summary>
    /// <remarks>
    /// The global counter moves here: a server read that started while the tier was not trusted may have
    /// read a value whose invalidation was published in the gap and never heard, so it must not be stored
    /// once the tier is trusted again (a snapshot taken before this call no longer matches).
    /// A tier already trusted is left as it is: the first subscription and a watcher started by a
    /// connection hiccup at start-up can both report the backplane up, and the second report must not
    /// wipe entries stored, with the backplane listening, after the first.
    /// </remarks>
    public void Trust()
    {
        if (_trusted)
        {
            return;
        }

        Interlocked.Increment(ref _global);
        _entries.Clear();
        Interlocked.Exchange(ref _size, 0);
        _tagVersions.Clear();
        _trusted = true;
    }

    public long ExpiryTimestamp(long nowTimestamp, TimeSpan lifetime)
    {
        var capped = lifetime < _options.MaxDuration ? lifetime : _options.MaxDuration;
        var jitter = _options.Jitter > 0 ? capped * (_options.Jitter * Random.Shared.NextDouble()) : TimeSpan.Zero;
        return nowTimestamp + (long)((capped - jitter).TotalSeconds * _time.TimestampFrequency);
    }

    private bool TagsCurrent(MemoryEntry entry)
    {
        if (entry.Tags is null)
        {
            return true;
        }

        if (entry.TagEpochs![entry.Tags.Length] != Volatile.Read(ref _tagGeneration))
        {
            return false;
        }

        for (var i = 0; i < entry.Tags.Length; i++)
        {
            var epoch = _tagEpochs.TryGetValue(entry.Tags[i], out var e) ? e : 0;
            if (epoch != entry.TagEpochs![i])
            {
                return false;
            }
        }

        return true;
    }

    private void Put(string key, MemoryEntry entry)
    {
        entry.LastAccessTimestamp = _time.GetTimestamp();
        MemoryEntry? replaced = null;
        _entries.AddOrUpdate(key, entry, (_, old) =>
        {
            replaced = old;
            return entry;
        });
        Interlocked.Add(ref _size, entry.Size - (replaced?.Size ?? 0));
        if (_entries.Count > _options.MaxEntries || Interlocked.Read(ref _size) > _options.MaxSizeBytes)
        {
            Compact();
        }
    }

    private void Remove(string key, MemoryEntry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, MemoryEntry>(key, entry)))
        {
            Interlocked.Add(ref _size, -entry.Size);
        }
    }

    /// <summary>Evicts the least recently read entries until the tier is back under 90% of both bounds; one compaction at a time, off the caller's path.</summary>
    private void Compact()
    {
        if (Interlocked.CompareExchange(ref _compacting, 1, 0) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static tier =>
        {
            try
            {
                var targetCount = (int)(tier._options.MaxEntries * 0.9);
                var targetSize = (long)(tier._options.MaxSizeBytes * 0.9);
                var victims = tier._entries.ToArray();
                Array.Sort(victims, static (a, b) => a.Value.LastAccessTimestamp.CompareTo(b.Value.LastAccessTimestamp));
                foreach (var victim in victims)
                {
                    if (tier._entries.Count <= targetCount && Interlocked.Read(ref tier._size) <= targetSize)
                    {
                        break;
                    }

                    tier.Remove(victim.Key, victim.Value);
                }
            }
            finally
            {
                Volatile.Write(ref tier._compacting, 0);
            }
        }, this, preferLocal: false);
    }

    private static int Stripe(string key) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % StripeCount);
}
