using StackExchange.Redis;

namespace Hotpath.Internals;

// Raw payloads for Hotpath's own features (the response cache stores a compact binary form, not
// JSON). Same header, tags, prefix and fault handling as typed entries; no serializer.
internal sealed partial class HotpathCache
{
    private const int MaxReadMarks = 10_000;

    // The stale-set race of the response cache is closed two ways. A reader that passes a claimant
    // claims the key on a miss, as GetOrSet does, and stores only over its claim (ClaimBytesAsync,
    // SetBytesIfLeasedAsync): checked on the server, memory tier or not. A reader without one (an
    // endpoint under the framework's own output-cache policy) gets a read mark: the miss remembers
    // what the memory tier's invalidation counters looked like, and the write that follows is dropped
    // if any invalidation of the key or of any tag arrived in between. Read marks need the memory tier
    // (its counters follow local and backplane invalidations).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, MemorySnapshot> _readMarks = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads a raw payload; null on a miss, an invalidated tag, a lease placeholder or a fault. With a
    /// <paramref name="claimant"/>, a miss also claims the key (see <see cref="ClaimBytesAsync"/>) and
    /// hands the lease to it, so the payload computed after the miss can be stored with
    /// <see cref="SetBytesIfLeasedAsync"/>: one more round trip, on a miss only.
    /// </summary>
    internal async ValueTask<byte[]?> GetBytesAsync(string key, CancellationToken cancellationToken, IBytesClaimant? claimant = null)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (TryGetFromMemory<byte[]>(key, out var remembered, out _))
        {
            // The array is shared by every hit: callers only read it.
            return remembered;
        }

        var before = _memory?.Snapshot(key) ?? default;
        if (_db is null || !CanRead)
        {
            MarkMiss(key, before);
            _metrics.Miss(key);
            return null;
        }

        try
        {
            using (var lease = await WithCancellation(_db.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false))
            {
                _faults.Succeeded();
                if (lease is null)
                {
                    _metrics.Miss(key);
                }
                else if (!EntryCodec.TryParse(lease.Span, out var info))
                {
                    Corrupt(key, "no Hotpath header");
                }
                else if (!info.HasPayload(lease.Length) || info.IsExpiredAt(NowUnixMs()) || !await IsCurrentAsync(info, info.HasTags ? ReadTags(lease.Span, info) : null, cancellationToken).ConfigureAwait(false))
                {
                    _metrics.Miss(key);
                }
                else
                {
                    _metrics.Hit(key);
                    var payload = lease.Span[info.PayloadOffset..].ToArray();
                    RememberBytes(key, payload, info, lease.Span, before);
                    return payload;
                }
            }

            if (claimant is null)
            {
                MarkMiss(key, before);
                return null;
            }

            var (appeared, claimed) = await ClaimBytesAsync(key, claimant.Tags, cancellationToken).ConfigureAwait(false);
            if (claimed is not null)
            {
                claimant.Claimed(key, claimed);
            }

            return appeared;
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
            var generation = EnsureGenerationAsync(cancellationToken);
            var tagVersions = tags is { Count: > 0 } ? await GetTagVersionsAsync(tags, cancellationToken).ConfigureAwait(false) : null;
            await generation.ConfigureAwait(false);
            byte[] bytes;
            using (var writer = PooledBufferWriter.Rent())
            {
                var now = NowUnixMs();
                EntryCodec.WriteHeader(writer, tagVersions, now, now + (long)expiry.TotalMilliseconds, Generation);
                payload.Span.CopyTo(writer.GetSpan(payload.Length));
                writer.Advance(payload.Length);
                bytes = writer.ToArray();
            }

            await WithCancellation(_db.StringSetAsync(key, bytes, expiry), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();

            // Other instances may remember the payload this one replaced.
            await AnnounceAsync(InvalidationKind.Key, key).ConfigureAwait(false);
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

    /// <summary>
    /// Claims a raw-payload key after a miss: a lease placeholder replaces the missing or expired entry,
    /// pipelined with a read of the tag versions. A payload computed from data read after this point
    /// is then stored by <see cref="SetBytesIfLeasedAsync"/> only if nothing deleted or wrote the key
    /// meanwhile, and with the tag versions of this moment, so a tag invalidated meanwhile leaves it
    /// outdated at once: the stale-set race closed on the server, on every instance, with or without
    /// the memory tier. Returns the payload instead when a current one appeared since the miss; neither
    /// when another caller holds the key's lease (its write wins) or the server faulted.
    /// </summary>
    internal async ValueTask<(byte[]? Payload, BytesLease? Lease)> ClaimBytesAsync(string key, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        if (_db is null || !CanRead)
        {
            return (null, null);
        }

        var head = EntryCodec.LeaseHead(NewLeaseToken());
        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var generation = EnsureGenerationAsync(cancellationToken);
                var versions = tags is { Count: > 0 } ? GetTagVersionsAsync(tags, cancellationToken) : null;
                var result = await WithCancellation(_db.ScriptEvaluateAsync(EntryScripts.Claim, [key], [head, (long)_options.LeaseDuration.TotalMilliseconds, NowUnixMs(), ModeName(ClaimMode.Get)]), cancellationToken).ConfigureAwait(false);
                var tagVersions = versions is null ? null : await versions.ConfigureAwait(false);
                await generation.ConfigureAwait(false);
                _faults.Succeeded();
                if (result.IsNull || result.Resp2Type == ResultType.Array)
                {
                    return (null, new BytesLease(head, tagVersions));
                }

                var bytes = (byte[]?)result;
                if (bytes is null)
                {
                    return (null, null);
                }

                if (EntryCodec.TryParse(bytes, out var info))
                {
                    if (info.IsLease)
                    {
                        // Another request is computing this key; its write wins.
                        return (null, null);
                    }

                    if (info.HasPayload(bytes.Length) && await IsCurrentAsync(info, info.HasTags ? ReadTags(bytes, info) : null, cancellationToken).ConfigureAwait(false))
                    {
                        return (bytes[info.PayloadOffset..], null);
                    }
                }

                // Outdated by a reset or a tag, or unreadable: remove it (a delete is always safe) and claim again.
                await WithCancellation(_db.KeyDeleteAsync(key), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("claim", ex);
            _metrics.Error(key, "claim");
        }

        return (null, null);
    }

    /// <summary>
    /// Stores a raw payload over the placeholder <paramref name="lease"/> put in the key, with the tag
    /// versions read when it was claimed; one round trip. Returns false, storing nothing, when the key
    /// was deleted or written since the claim, the lease was already used, or the server faulted.
    /// </summary>
    internal async ValueTask<bool> SetBytesIfLeasedAsync(string key, ReadOnlyMemory<byte> payload, TimeSpan ttl, BytesLease lease, CancellationToken cancellationToken)
    {
        ValidateKey(key);
        var expiry = ResolveTtl(ttl);
        if (!lease.TryFinish() || _db is null || !_faults.Allow())
        {
            return false;
        }

        try
        {
            byte[] bytes;
            using (var writer = PooledBufferWriter.Rent())
            {
                var now = NowUnixMs();
                EntryCodec.WriteHeader(writer, lease.TagVersions, now, now + (long)expiry.TotalMilliseconds, Generation);
                payload.Span.CopyTo(writer.GetSpan(payload.Length));
                writer.Advance(payload.Length);
                bytes = writer.ToArray();
            }

            var stored = await WithCancellation(_db.ScriptEvaluateAsync(EntryScripts.StoreIfLeased, [key], [lease.Head, bytes, (long)expiry.TotalMilliseconds]), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            if ((long)stored == 0)
            {
                _metrics.LeaseVoided(key);
                return false;
            }

            // Other instances may remember the payload this one replaced.
            await AnnounceAsync(InvalidationKind.Key, key).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("set", ex);
            _metrics.Error(key, "set");
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return false;
        }
    }

    /// <summary>Gives a claimed key back unused (fire and forget), unless its lease was already used.</summary>
    internal void ReleaseBytes(string key, BytesLease lease)
    {
        if (lease.TryFinish() && _db is not null)
        {
            _ = _db.ScriptEvaluateAsync(EntryScripts.Release, [key], [lease.Head], CommandFlags.FireAndForget);
        }
    }

    /// <summary>Keeps a payload read from the server in the memory tier, for the rest of its logical lifetime at most.</summary>
    private void RememberBytes(string key, byte[] payload, EntryInfo info, ReadOnlySpan<byte> data, MemorySnapshot before)
    {
        if (_memory is null || info.LogicalExpiryUnixMs == 0 || info.SkipMemoryTier)
        {
            return;
        }

        var lifetime = TimeSpan.FromMilliseconds(info.LogicalExpiryUnixMs - NowUnixMs());
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }

        var tags = info.HasTags ? TagNames(ReadTags(data, info)) : null;
        _memory.Store(key, NewMemoryEntry(payload, null, info.CreatedUnixMs, info.LogicalExpiryUnixMs, lifetime, tags, data.Length), before);
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
