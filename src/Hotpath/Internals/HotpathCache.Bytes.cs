using StackExchange.Redis;

namespace Hotpath.Internals;

// Raw payloads for Hotpath's own features (the response cache stores a compact binary form, not
// JSON). Same header, tags, prefix and fault handling as typed entries; no serializer.
internal sealed partial class HotpathCache
{
    /// <summary>Reads a raw payload; null on a miss, an invalidated tag, a lease placeholder or a fault.</summary>
    internal async ValueTask<byte[]?> GetBytesAsync(string key, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null || !CanRead)
        {
            _metrics.Miss(key);
            return null;
        }

        try
        {
            using var lease = await WithCancellation(_db.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            if (lease is null)
            {
                _metrics.Miss(key);
                return null;
            }

            if (!EntryCodec.TryParse(lease.Span, out var info))
            {
                Corrupt(key, "no Hotpath header");
                return null;
            }

            if (!info.HasPayload(lease.Length) || info.IsExpiredAt(NowUnixMs()) || (info.HasTags && !await TagsAreCurrentAsync(ReadTags(lease.Span, info), cancellationToken).ConfigureAwait(false)))
            {
                _metrics.Miss(key);
                return null;
            }

            _metrics.Hit(key);
            return lease.Span[info.PayloadOffset..].ToArray();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
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
}
