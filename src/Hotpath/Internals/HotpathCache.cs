using System.Runtime.CompilerServices;
using Hotpath.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// The cache service over the RESP store. Split by concern: reads and writes here, cache-aside in
/// <c>HotpathCache.GetOrSet.cs</c>, tags in <c>HotpathCache.Tags.cs</c>, patterns in
/// <c>HotpathCache.Patterns.cs</c>.
/// </summary>
internal sealed partial class HotpathCache : ICache
{
    private readonly HotpathConnection _connection;
    private readonly IDatabase? _db;
    private readonly ICacheSerializer _serializer;
    private readonly HotpathOptions _options;
    private readonly ILogger _logger;
    private readonly FaultReporter _faults;
    private readonly HotpathMetrics _metrics;
    private readonly TimeProvider _time;

    public HotpathCache(HotpathConnection connection, HotpathOptions options, ILoggerFactory loggerFactory, HotpathMetrics metrics, TimeProvider? time = null)
    {
        _connection = connection;
        _db = connection.Database;
        _options = options;
        _serializer = options.Serializer
            ?? (options.JsonSerializerOptions is { } json ? new SystemTextJsonCacheSerializer(json) : new SystemTextJsonCacheSerializer());
        _logger = loggerFactory.CreateLogger("Hotpath.Cache");
        _time = time ?? TimeProvider.System;
        _faults = new FaultReporter(_logger, _time, options.FaultLogInterval);
        _metrics = metrics;
    }

    internal FaultReporter Faults => _faults;

    internal HotpathConnection Connection => _connection;

    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            _metrics.Miss(key);
            return new ValueTask<CacheResult<T>>(CacheResult<T>.Miss);
        }

        return ReadAsync<T>(key, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var expiry = ResolveTtl(ttl);
        cancellationToken.ThrowIfCancellationRequested();
        return _db is null ? ValueTask.CompletedTask : WriteAsync(key, value, expiry, tags: null, cancellationToken);
    }

    public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions options, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(options);
        var expiry = ResolveTtl(options.Ttl);
        ValidateTags(options.Tags);
        cancellationToken.ThrowIfCancellationRequested();
        return _db is null ? ValueTask.CompletedTask : WriteAsync(key, value, expiry, options.Tags, cancellationToken);
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

    public async ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return false;
        }

        try
        {
            using var lease = await WithCancellation(_db.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            if (lease is null || !EntryCodec.TryParse(lease.Span, out var info) || info.IsLease)
            {
                return false;
            }

            return !info.HasTags || await TagsAreCurrentAsync(ReadTags(lease.Span, info), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("exists", ex);
            return false;
        }
    }

    public async ValueTask<bool> RefreshAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var expiry = ResolveTtl(ttl);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return false;
        }

        try
        {
            var refreshed = await WithCancellation(_db.KeyExpireAsync(key, expiry), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            return refreshed;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("refresh", ex);
            return false;
        }
    }

    public async ValueTask<TimeSpan?> GetTimeToLiveAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return null;
        }

        try
        {
            var ttl = await WithCancellation(_db.KeyTimeToLiveAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            return ttl;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("ttl", ex);
            return null;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CacheResult<T>> ReadAsync<T>(string key, CancellationToken cancellationToken)
    {
        Lease<byte>? lease;
        try
        {
            lease = await WithCancellation(_db!.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("get", ex);
            _metrics.Error(key, "get");
            return CacheResult<T>.Miss;
        }

        using (lease)
        {
            var result = await DecodeAsync<T>(key, lease, cancellationToken).ConfigureAwait(false);
            _metrics.Lookup(key, result.Found);
            return result;
        }
    }

    /// <summary>
    /// Turns stored bytes into a result: a miss for no bytes, a lease placeholder or an entry whose
    /// tags were invalidated; a miss plus deletion for bytes that cannot be read.
    /// </summary>
    private ValueTask<CacheResult<T>> DecodeAsync<T>(string key, Lease<byte>? lease, CancellationToken cancellationToken)
    {
        if (lease is null)
        {
            return new ValueTask<CacheResult<T>>(CacheResult<T>.Miss);
        }

        if (!EntryCodec.TryParse(lease.Span, out var info))
        {
            Corrupt(key, "no Hotpath header");
            return new ValueTask<CacheResult<T>>(CacheResult<T>.Miss);
        }

        if (info.IsLease)
        {
            return new ValueTask<CacheResult<T>>(CacheResult<T>.Miss);
        }

        return info.HasTags
            ? DecodeTaggedAsync<T>(key, lease, info, cancellationToken)
            : new ValueTask<CacheResult<T>>(Deserialize<T>(key, lease.Span, info));
    }

    private async ValueTask<CacheResult<T>> DecodeTaggedAsync<T>(string key, Lease<byte> lease, EntryInfo info, CancellationToken cancellationToken)
    {
        bool current;
        try
        {
            current = await TagsAreCurrentAsync(ReadTags(lease.Span, info), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // Without the tag versions the entry cannot be proven current: a miss, never a stale hit.
            _faults.Report("get tags", ex);
            return CacheResult<T>.Miss;
        }

        return current ? Deserialize<T>(key, lease.Span, info) : CacheResult<T>.Miss;
    }

    private CacheResult<T> Deserialize<T>(string key, ReadOnlySpan<byte> data, EntryInfo info)
    {
        try
        {
            return CacheResult<T>.Hit(_serializer.Deserialize<T>(data[info.PayloadOffset..]));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Corrupt(key, ex.GetType().Name);
            return CacheResult<T>.Miss;
        }
    }

    private void Corrupt(string key, string reason)
    {
        Log.CorruptEntry(_logger, KeyArea(key), reason);
        _metrics.Error(key, "deserialize");
        _ = _db!.KeyDeleteAsync(key, CommandFlags.FireAndForget);
    }

    private async ValueTask WriteAsync<T>(string key, T value, TimeSpan ttl, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        try
        {
            var tagVersions = tags is { Count: > 0 } ? await GetTagVersionsAsync(tags, cancellationToken).ConfigureAwait(false) : null;
            var bytes = Encode(value, tagVersions);
            await WithCancellation(_db!.StringSetAsync(key, bytes, ttl), cancellationToken).ConfigureAwait(false);
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

    private byte[] Encode<T>(T value, string? tagVersions)
    {
        using var writer = PooledBufferWriter.Rent();
        EntryCodec.WriteHeader(writer, tagVersions);
        _serializer.Serialize(value, writer);
        return writer.ToArray();
    }

    private async ValueTask<bool> DeleteOneAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var deleted = await WithCancellation(_db!.KeyDeleteAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            return deleted;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
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
        try
        {
            long deleted = 0;
            foreach (var group in GroupBySlot(keys, _connection.KeyPrefix))
            {
                deleted += await WithCancellation(_db!.KeyDeleteAsync(group), cancellationToken).ConfigureAwait(false);
            }

            _faults.Succeeded();
            return deleted;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("delete", ex);
            _metrics.Error(keys[0], "delete");
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return 0;
        }
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

    private TimeSpan ResolveTtl(TimeSpan? ttl)
    {
        var value = ttl ?? _options.DefaultTtl;
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), value, "The time to live must be positive.");
        }

        return value;
    }

    private void ValidateKey(string key, [CallerArgumentExpression(nameof(key))] string? parameterName = null)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new ArgumentException("A cache key must be a non-empty string.", parameterName);
        }

        if (key.Length > _options.MaxKeyLength)
        {
            throw new ArgumentException($"A cache key must be at most {_options.MaxKeyLength} characters (Hotpath:MaxKeyLength); this one has {key.Length}.", parameterName);
        }
    }

    /// <summary>The key's first segment: a low-cardinality label for logs and metrics, never the key itself.</summary>
    internal static string KeyArea(string key)
    {
        var colon = key.IndexOf(CacheKey.Separator);
        return colon < 0 ? "(none)" : key[..colon];
    }

    private static Task<TResult> WithCancellation<TResult>(Task<TResult> task, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;
}
