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
    private async ValueTask WriteAsync<T>(string key, T value, EntrySettings settings, CancellationToken cancellationToken) =>
        await _protocol.RunAsync(
            new Invalidation(InvalidationKind.Key, key),
            "set",
            (Cache: this, Key: key, Value: value, Settings: settings),
            static (s, ct) => s.Cache.SendWriteAsync(s.Key, s.Value, s.Settings, ct),
            default(Written),
            cancellationToken,
            static (s, written) => s.Cache.SettleWrite(s.Key, s.Value, s.Settings, written)).ConfigureAwait(false);

    /// <summary>What a write sent, for the memory tier to keep after the server took it.</summary>
    private readonly record struct Written(byte[] Bytes, long NowUnixMs, string? TagVersions);

    private async Task<Written> SendWriteAsync<T>(string key, T value, EntrySettings settings, CancellationToken cancellationToken)
    {
        var generation = EnsureGenerationAsync(cancellationToken);
        var tagVersions = settings.Tags is not null ? await GetTagVersionsAsync(settings.Tags, cancellationToken).ConfigureAwait(false) : null;
        await generation.ConfigureAwait(false);
        var now = NowUnixMs();
        var bytes = Encode(value, tagVersions, now, settings.Ttl, settings);
        await WithCancellation(_db!.StringSetAsync(key, bytes, settings.PhysicalTtl), cancellationToken).ConfigureAwait(false);
        return new Written(bytes, now, tagVersions);
    }

    private void SettleWrite<T>(string key, T value, EntrySettings settings, Written written)
    {
        if (_memory is not null && settings.UseMemory)
        {
            var tags = written.TagVersions is null ? null : TagNames(written.TagVersions);
            var expiry = written.NowUnixMs + (long)settings.Ttl.TotalMilliseconds;
            _memory.StoreWritten(key, NewMemoryEntry(value, settings.CopyOnRead ? PayloadOf(written.Bytes) : null, written.NowUnixMs, expiry, settings.Ttl, tags, written.Bytes.Length));
        }
        else
        {
            _memory?.Evict(key);
        }
    }

    private byte[] Encode<T>(T value, string? tagVersions, long nowUnixMs, TimeSpan logicalTtl, EntrySettings settings)
    {
        using var writer = PooledBufferWriter.Rent();
        EntryCodec.WriteHeader(writer, tagVersions, nowUnixMs, nowUnixMs + (long)logicalTtl.TotalMilliseconds, settings.KeepOnReset ? 0 : Generation, !settings.UseMemory, settings.CopyOnRead, settings.KeepOnReset);
        _serializer.Serialize(value, writer);
        return writer.ToArray();
    }

    private static byte[] PayloadOf(byte[] bytes)
    {
        EntryCodec.TryParse(bytes, out var info);
        return bytes.AsSpan(info.PayloadOffset).ToArray();
    }

    private ValueTask<bool> DeleteOneAsync(string key, CancellationToken cancellationToken) =>
        _protocol.RunAsync(
            new Invalidation(InvalidationKind.Key, key),
            "delete",
            (Db: _db!, Key: key),
            static (s, ct) => WithCancellation(s.Db.KeyDeleteAsync(s.Key), ct),
            false,
            cancellationToken);

    private ValueTask<long> DeleteManyAsync(string[] keys, CancellationToken cancellationToken) =>
        _protocol.RunAsync(new Invalidation(keys), "delete", (Cache: this, Keys: keys), static (s, ct) => s.Cache.DeleteKeysAsync(s.Keys, ct), 0L, cancellationToken);

    private async Task<long> DeleteKeysAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        long deleted = 0;
        foreach (var group in GroupBySlot(keys, _connection.KeyPrefix))
        {
            deleted += await WithCancellation(_db!.KeyDeleteAsync(group), cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Tells other instances to drop their memory copies; a no-op without a memory tier.</summary>
    private Task AnnounceAsync(InvalidationKind kind, string payload)
    {
        if (_backplane is null)
        {
            return Task.CompletedTask;
        }

        return _backplane.PublishAsync(kind, payload);
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
