using StackExchange.Redis;

namespace Hotpath.Internals;

// Raw payloads for Hotpath's own features (the response cache stores a compact binary form, not
// JSON). Same header, tags, prefix and fault handling as typed entries; no serializer.
internal sealed partial class HotpathCache
{
    private const int MaxReadMarks = 10_000;

    // A raw-payload miss remembers what the memory tier's invalidation counters looked like; the write
    // that follows (a response computed after the miss) is dropped if any invalidation of the key or of
    // any tag arrived in between — the stale-set race of the response cache, closed the way the lease
    // closes it for GetOrSet. Needs the memory tier (its counters follow local and backplane invalidations).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, MemorySnapshot> _readMarks = new(StringComparer.Ordinal);

    /// <summary>Reads a raw payload; null on a miss, an invalidated tag, a lease placeholder or a fault.</summary>
    internal async ValueTask<byte[]?> GetBytesAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        var before = _memory?.Snapshot(key) ?? default;
        if (_db is null || !CanRead)
        {
            MarkMiss(key, before);
            _metrics.Miss(key);
            return null;
        }

        try
        {
            using var lease = await WithCancellation(_db.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            if (lease is null)
            {
                MarkMiss(key, before);
                _metrics.Miss(key);
                return null;
            }

            if (!EntryCodec.TryParse(lease.Span, out var info))
            {
                MarkMiss(key, before);
                Corrupt(key, "no Hotpath header");
                return null;
            }

            if (!info.HasPayload(lease.Length) || info.IsExpiredAt(NowUnixMs()) || (info.HasTags && !await TagsAreCurrentAsync(ReadTags(lease.Span, info), cancellationToken).ConfigureAwait(false)))
            {
                MarkMiss(key, before);
                _metrics.Miss(key);
                return null;
            }

            _metrics.Hit(key);
            return lease.Span[info.PayloadOffset..].ToArray();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            MarkMiss(key, before);
            _faults.Report("get", ex);
            _metrics.Error(key, "get");
            return null;
        }
    }

    /// <summary>Stores a raw payload with tags; faults are logged and dropped (or thrown with ThrowOnWriteErrors).</summary>
    internal async ValueTask SetBytesAsync(string key, ReadOnlyMemory<byte> payload, TimeSpan ttl, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        ValidateTags(tags);
        var expiry = ResolveTtl(ttl);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null || !_faults.Allow())
        {
            return;
        }

        if (_memory is not null && (!_readMarks.TryRemove(key, out var mark) || _memory.Snapshot(key) != mark))
        {
            // Invalidated since the miss that led to this write (or no miss is known): the payload may predate it.
            _metrics.LeaseVoided(key);
            return;
        }

        try
        {
            var tagVersions = tags is { Count: > 0 } ? await GetTagVersionsAsync(tags, cancellationToken).ConfigureAwait(false) : null;
            byte[] bytes;
            using (var writer = PooledBufferWriter.Rent())
            {
                var now = NowUnixMs();
                EntryCodec.WriteHeader(writer, tagVersions, now, now + (long)expiry.TotalMilliseconds, skipMemoryTier: true);
                payload.Span.CopyTo(writer.GetSpan(payload.Length));
                writer.Advance(payload.Length);
                bytes = writer.ToArray();
            }

            await WithCancellation(_db.StringSetAsync(key, bytes, expiry), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("set", ex);
            _metrics.Error(key, "set");
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    private void MarkMiss(string key, MemorySnapshot before)
    {
        if (_memory is null)
        {
            return;
        }

        if (_readMarks.Count >= MaxReadMarks)
        {
            // Misses that never led to a write (responses that were not cacheable) must not pile up.
            _readMarks.Clear();
        }

        // The earliest miss wins: a write is dropped if anything was invalidated since any miss before it.
        _readMarks.TryAdd(key, before);
    }
}
