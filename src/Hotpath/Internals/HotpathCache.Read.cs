using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace Hotpath.Internals;

internal enum ReadStatus : byte
{
    Miss,
    Hit,

    /// <summary>A value past its logical expiry, kept for fail-safe.</summary>
    Stale,

    /// <summary>Another caller holds the key's lease and there is no value to serve.</summary>
    Leased,
}

internal readonly record struct ReadResult<T>(ReadStatus Status, T Value, long CreatedUnixMs, long LogicalExpiryUnixMs)
{
    public static ReadResult<T> Miss => default;

    public static ReadResult<T> Leased => new(ReadStatus.Leased, default!, 0, 0);
}

internal sealed partial class HotpathCache
{
    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (TryGetFromMemory<T>(key, out var value, out _))
        {
            return new ValueTask<CacheResult<T>>(CacheResult<T>.Hit(value));
        }

        if (_db is null)
        {
            _metrics.Miss(key);
            return new ValueTask<CacheResult<T>>(CacheResult<T>.Miss);
        }

        return ReadAsResultAsync<T>(key, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CacheResult<T>> ReadAsResultAsync<T>(string key, CancellationToken cancellationToken)
    {
        var read = await ReadEntryAsync<T>(key, cancellationToken).ConfigureAwait(false);
        return read.Status == ReadStatus.Hit ? CacheResult<T>.Hit(read.Value) : CacheResult<T>.Miss;
    }

    /// <summary>A memory-tier hit: same type, not past its memory lifetime, tags unchanged, backplane up.</summary>
    private bool TryGetFromMemory<T>(string key, out T value, out MemoryEntry entry)
    {
        if (_memory is null || !_memory.TryGet(key, _time.GetTimestamp(), out entry) || entry.ValueType != typeof(T))
        {
            value = default!;
            entry = null!;
            return false;
        }

        if (entry.IsPayload)
        {
            try
            {
                value = _serializer.Deserialize<T>((byte[])entry.Value!);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _memory.Evict(key);
                value = default!;
                return false;
            }
        }
        else
        {
            value = (T)entry.Value!;
        }

        _metrics.Hit(key, "l1");
        return true;
    }

    /// <summary>Reads the key from the server; a current value is also put in the memory tier.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult<T>> ReadEntryAsync<T>(string key, CancellationToken cancellationToken)
    {
        if (!CanRead)
        {
            _metrics.Miss(key);
            return ReadResult<T>.Miss;
        }

        var snapshot = _memory?.Snapshot(key) ?? default;
        var started = _metrics.StartTiming();
        using var activity = HotpathActivities.Source.HasListeners() ? HotpathActivities.Start("hotpath.get", _metrics.Area(key)) : null;
        Lease<byte>? lease;
        try
        {
            lease = await WithCancellation(_db!.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            _metrics.RecordDuration(started, key, "get");
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("get", ex);
            _metrics.Error(key, "get");
            return ReadResult<T>.Miss;
        }

        using (lease)
        {
            var read = await DecodeAsync<T>(key, lease?.Memory ?? default, lease is not null, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("hotpath.hit", read.Status == ReadStatus.Hit);
            if (read.Status == ReadStatus.Hit)
            {
                _metrics.Hit(key);
                Remember(key, read, lease!.Memory, snapshot);
            }
            else
            {
                _metrics.Miss(key);
            }

            return read;
        }
    }

    /// <summary>
    /// Turns stored bytes into a result: a miss for nothing, an entry from before a reset, an invalidated tag or unreadable bytes
    /// (which are also deleted); <see cref="ReadStatus.Leased"/> for an empty lease placeholder;
    /// <see cref="ReadStatus.Stale"/> past the logical expiry.
    /// </summary>
    private ValueTask<ReadResult<T>> DecodeAsync<T>(string key, ReadOnlyMemory<byte> data, bool exists, CancellationToken cancellationToken)
    {
        if (!exists)
        {
            return new ValueTask<ReadResult<T>>(ReadResult<T>.Miss);
        }

        if (!EntryCodec.TryParse(data.Span, out var info))
        {
            Corrupt(key, "no Hotpath header");
            return new ValueTask<ReadResult<T>>(ReadResult<T>.Miss);
        }

        if (!info.HasPayload(data.Length))
        {
            return new ValueTask<ReadResult<T>>(ReadResult<T>.Leased);
        }

        var current = IsCurrentAsync(info, info.HasTags ? ReadTags(data.Span, info) : null, cancellationToken);
        if (current.IsCompletedSuccessfully)
        {
            return new ValueTask<ReadResult<T>>(current.Result ? Materialize<T>(key, data.Span, info) : ReadResult<T>.Miss);
        }

        return DecodeOnceCheckedAsync<T>(key, data, info, current);
    }

    private async ValueTask<ReadResult<T>> DecodeOnceCheckedAsync<T>(string key, ReadOnlyMemory<byte> data, EntryInfo info, ValueTask<bool> check)
    {
        bool current;
        try
        {
            current = await check.ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // Without the tag versions the entry cannot be proven current: a miss, never a stale hit.
            _faults.Report("get tags", ex);
            return ReadResult<T>.Miss;
        }

        return current ? Materialize<T>(key, data.Span, info) : ReadResult<T>.Miss;
    }

    private ReadResult<T> Materialize<T>(string key, ReadOnlySpan<byte> data, EntryInfo info)
    {
        T value;
        try
        {
            value = _serializer.Deserialize<T>(data[info.PayloadOffset..]);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (!info.IsLease)
            {
                Corrupt(key, ex.GetType().Name);
            }

            return ReadResult<T>.Miss;
        }

        var status = info.IsExpiredAt(NowUnixMs()) ? ReadStatus.Stale : ReadStatus.Hit;
        return new ReadResult<T>(status, value, info.CreatedUnixMs, info.LogicalExpiryUnixMs);
    }

    /// <summary>Puts a value read from the server into the memory tier, for the rest of its logical lifetime at most.</summary>
    private void Remember<T>(string key, ReadResult<T> read, ReadOnlyMemory<byte> data, MemorySnapshot before)
    {
        if (_memory is null || read.LogicalExpiryUnixMs == 0 || !EntryCodec.TryParse(data.Span, out var info) || info.SkipMemoryTier)
        {
            return;
        }

        var lifetime = TimeSpan.FromMilliseconds(read.LogicalExpiryUnixMs - NowUnixMs());
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        var tags = info.HasTags ? TagNames(ReadTags(data.Span, info)) : null;
        _memory.Store(key, NewMemoryEntry(read.Value, info.CopyOnRead ? data.Span[info.PayloadOffset..].ToArray() : null, read.CreatedUnixMs, read.LogicalExpiryUnixMs, lifetime, tags, data.Length), before);
    }

    private MemoryEntry NewMemoryEntry<T>(T value, byte[]? payload, long createdUnixMs, long expiryUnixMs, TimeSpan lifetime, string[]? escapedTags, int size) => new()
    {
        Value = payload ?? (object?)value,
        ValueType = typeof(T),
        IsPayload = payload is not null,
        ExpiresAtTimestamp = _memory!.ExpiryTimestamp(_time.GetTimestamp(), lifetime),
        CreatedUnixMs = createdUnixMs,
        LogicalExpiryUnixMs = expiryUnixMs,
        Tags = escapedTags,
        TagEpochs = escapedTags is null ? null : _memory.TagEpochs(escapedTags),
        Size = size,
    };

    private void Corrupt(string key, string reason)
    {
        Log.CorruptEntry(_logger, KeyArea(key), reason);
        _metrics.Error(key, "deserialize");
        _ = _db!.KeyDeleteAsync(key, CommandFlags.FireAndForget);
    }
}
