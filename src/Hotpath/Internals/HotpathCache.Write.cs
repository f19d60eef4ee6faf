using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace Hotpath.Internals;

internal sealed partial class HotpathCache
{
    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var settings = new EntrySettings(null, _options, ResolveTtl(ttl));
        cancellationToken.ThrowIfCancellationRequested();
        return _db is null ? ValueTask.CompletedTask : WriteAsync(key, value, settings, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(options);
        var settings = new EntrySettings(options, _options, ResolveTtl(options.Ttl));
        ValidateTags(options.Tags);
        cancellationToken.ThrowIfCancellationRequested();
        return _db is null ? ValueTask.CompletedTask : WriteAsync(key, value, settings, cancellationToken);
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        return _db is null ? new ValueTask<bool>(false) : DeleteOneAsync(key, cancellationToken);
    }

    public ValueTask<long> DeleteAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys.ToArray();
        foreach (var key in list)
        {
            ValidateKey(key, nameof(keys));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return _db is null || list.Length == 0 ? new ValueTask<long>(0L) : DeleteManyAsync(list, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync<T>(string key, T value, EntrySettings settings, CancellationToken cancellationToken)
    {
        DetachFlight(key);
        if (!_faults.Allow())
        {
            Skipped(InvalidationKind.Key, key);
            return;
        }

        var started = _metrics.StartTiming();
        try
        {
            var tagVersions = settings.Tags is not null ? await GetTagVersionsAsync(settings.Tags, cancellationToken).ConfigureAwait(false) : null;
            var now = NowUnixMs();
            var bytes = Encode(value, tagVersions, now, settings.Ttl, settings);
            await WithCancellation(_db!.StringSetAsync(key, bytes, settings.PhysicalTtl), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            _metrics.RecordDuration(started, key, "set");
            if (_memory is not null && settings.UseMemory)
            {
                var tags = tagVersions is null ? null : TagNames(tagVersions);
                _memory.StoreWritten(key, NewMemoryEntry(value, settings.CopyOnRead ? PayloadOf(bytes) : null, now, now + (long)settings.Ttl.TotalMilliseconds, settings.Ttl, tags, bytes.Length));
            }
            else
            {
                _memory?.Evict(key);
            }

            await AnnounceAsync(InvalidationKind.Key, key).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // The server may or may not hold the new value; the old one must not survive anywhere.
            _memory?.Evict(key);
            _replay?.Enqueue(InvalidationKind.Key, key);
            _faults.Report("set", ex);
            _metrics.Error(key, "set");
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    private byte[] Encode<T>(T value, string? tagVersions, long nowUnixMs, TimeSpan logicalTtl, EntrySettings settings)
    {
        using var writer = PooledBufferWriter.Rent();
        EntryCodec.WriteHeader(writer, tagVersions, nowUnixMs, nowUnixMs + (long)logicalTtl.TotalMilliseconds, !settings.UseMemory, settings.CopyOnRead);
        _serializer.Serialize(value, writer);
        return writer.ToArray();
    }

    private static byte[] PayloadOf(byte[] bytes)
    {
        EntryCodec.TryParse(bytes, out var info);
        return bytes.AsSpan(info.PayloadOffset).ToArray();
    }

    private async ValueTask<bool> DeleteOneAsync(string key, CancellationToken cancellationToken)
    {
        DetachFlight(key);
        _memory?.Evict(key);
        if (!_faults.Allow())
        {
            Skipped(InvalidationKind.Key, key);
            return false;
        }

        var started = _metrics.StartTiming();
        try
        {
            var deleted = await WithCancellation(_db!.KeyDeleteAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            _metrics.RecordDuration(started, key, "delete");
            _memory?.Evict(key);
            await AnnounceAsync(InvalidationKind.Key, key).ConfigureAwait(false);
            return deleted;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _replay?.Enqueue(InvalidationKind.Key, key);
            _faults.Report("delete", ex);
            _metrics.Error(key, "delete");
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return false;
        }
    }

    private async ValueTask<long> DeleteManyAsync(string[] keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            DetachFlight(key);
            _memory?.Evict(key);
        }

        if (!_faults.Allow())
        {
            foreach (var key in keys)
            {
                Skipped(InvalidationKind.Key, key);
            }

            return 0;
        }

        try
        {
            long deleted = 0;
            foreach (var group in GroupBySlot(keys, _connection.KeyPrefix))
            {
                deleted += await WithCancellation(_db!.KeyDeleteAsync(group), cancellationToken).ConfigureAwait(false);
            }

            _faults.Succeeded();
            foreach (var key in keys)
            {
                _memory?.Evict(key);
                await AnnounceAsync(InvalidationKind.Key, key).ConfigureAwait(false);
            }

            return deleted;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            foreach (var key in keys)
            {
                _replay?.Enqueue(InvalidationKind.Key, key);
            }

            _faults.Report("delete", ex);
            _metrics.Error(keys[0], "delete");
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return 0;
        }
    }

    /// <summary>
    /// A write or invalidation skipped because the circuit breaker is open: it is queued for replay,
    /// and surfaces as an error only when the application asked for write errors.
    /// </summary>
    private void Skipped(InvalidationKind kind, string payload)
    {
        _replay?.Enqueue(kind, payload);
        if (_options.ThrowOnWriteErrors)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The cache server is failing; the circuit breaker is open.");
        }
    }

    /// <summary>Tells other instances to drop their memory copies; a no-op without a memory tier.</summary>
    private Task AnnounceAsync(InvalidationKind kind, string payload)
    {
        if (_backplane is null)
        {
            return Task.CompletedTask;
        }

        return kind switch
        {
            InvalidationKind.Key => _backplane.PublishKeyAsync(payload),
            InvalidationKind.Tag => _backplane.PublishTagAsync(payload),
            _ => _backplane.PublishClearAsync(),
        };
    }

    /// <summary>One group on a single server; one group per hash slot on a cluster, where a multi-key command must stay in one slot.</summary>
    private IEnumerable<RedisKey[]> GroupBySlot(IReadOnlyList<string> keys, string slotPrefix)
    {
        if (!_connection.IsCluster)
        {
            var all = new RedisKey[keys.Count];
            for (var i = 0; i < all.Length; i++)
            {
                all[i] = keys[i];
            }

            return [all];
        }

        var multiplexer = _connection.Multiplexer!;
        return keys
            .GroupBy(k => multiplexer.HashSlot(slotPrefix + k))
            .Select(static g => g.Select(static k => (RedisKey)k).ToArray());
    }
}

internal enum InvalidationKind : byte
{
    Key,
    Tag,
    Pattern,

    /// <summary>Everything under the prefix (after an overflow of the replay queue).</summary>
    Clear,
}
