using System.Buffers;
using Hotpath.Internals;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Hotpath.Caching.Internals;

/// <summary>
/// <see cref="IDistributedCache"/> over the shared connection, for session state and other framework
/// features. An entry is a hash <c>_hotpath:dc:{key}</c> with fields <c>d</c> (the bytes), <c>s</c>
/// (sliding expiration in ms, -1 for none) and <c>a</c> (absolute expiry in Unix ms, -1 for none), and
/// a <c>PEXPIRE</c> of the nearer of the two. A read renews the sliding expiration in the same script,
/// so a get is one round trip. Faults follow the cache, through the cache's own <see cref="FaultReporter"/>
/// (one circuit breaker and one fault log per connection): a read is a miss, a write is logged once per
/// burst and dropped unless <see cref="HotpathOptions.ThrowOnWriteErrors"/>; while the breaker is open
/// no call goes to the server, so an outage costs no operation timeout per call.
/// </summary>
internal sealed class HotpathDistributedCache : IDistributedCache, IBufferDistributedCache
{
    internal const string KeyPrefix = "_hotpath:dc:";

    private const string SetScript = """
        redis.call('HSET', KEYS[1], 'd', ARGV[1], 's', ARGV[2], 'a', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """;

    // ARGV[1] = now in Unix ms, ARGV[2] = '1' to return the bytes (get) or '0' to only renew (refresh).
    private const string GetScript = """
        local r = redis.call('HMGET', KEYS[1], 'd', 's', 'a')
        if not r[1] then return false end
        local s = tonumber(r[2])
        if s and s > 0 then
          local ttl = s
          local a = tonumber(r[3])
          if a and a > 0 then
            local left = a - tonumber(ARGV[1])
            if left <= 0 then
              redis.call('DEL', KEYS[1])
              return false
            end
            if left < ttl then ttl = left end
          end
          redis.call('PEXPIRE', KEYS[1], ttl)
        end
        if ARGV[2] == '1' then return r[1] end
        return 1
        """;

    private readonly IDatabase _db;
    private readonly HotpathOptions _options;
    private readonly HotpathDistributedCacheOptions _cacheOptions;
    private readonly FaultReporter _faults;
    private readonly TimeProvider _time;

    public HotpathDistributedCache(IDatabase database, HotpathOptions options, HotpathDistributedCacheOptions cacheOptions, FaultReporter faults, TimeProvider time)
    {
        cacheOptions.Validate();
        _db = database;
        _options = options;
        _cacheOptions = cacheOptions;
        _faults = faults;
        _time = time;
    }

    internal static string Key(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return KeyPrefix + CacheKey.Escape(key);
    }

    public byte[]? Get(string key)
    {
        var redisKey = Key(key);
        if (!_faults.Allow())
        {
            return null;
        }

        try
        {
            var result = _db.ScriptEvaluate(GetScript, [redisKey], [NowMs(), 1]);
            _faults.Succeeded();
            return result.IsNull ? null : (byte[]?)result;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed get", ex);
            return null;
        }
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var redisKey = Key(key);
        token.ThrowIfCancellationRequested();
        if (!_faults.Allow())
        {
            return null;
        }

        try
        {
            var result = await _db.ScriptEvaluateAsync(GetScript, [redisKey], [NowMs(), 1]).WaitAsync(token).ConfigureAwait(false);
            _faults.Succeeded();
            return result.IsNull ? null : (byte[]?)result;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed get", ex);
            return null;
        }
    }

    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = Get(key);
        if (bytes is null)
        {
            return false;
        }

        destination.Write(bytes);
        return true;
    }

    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = await GetAsync(key, token).ConfigureAwait(false);
        if (bytes is null)
        {
            return false;
        }

        destination.Write(bytes);
        return true;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (keys, args) = SetArguments(key, value, options);
        if (!AllowWrite())
        {
            return;
        }

        try
        {
            _db.ScriptEvaluate(SetScript, keys, args);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed set", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        var (keys, args) = SetArguments(key, value, options);
        token.ThrowIfCancellationRequested();
        if (!AllowWrite())
        {
            return;
        }

        try
        {
            await _db.ScriptEvaluateAsync(SetScript, keys, args).WaitAsync(token).ConfigureAwait(false);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed set", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        Set(key, value.ToArray(), options);

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await SetAsync(key, value.ToArray(), options, token).ConfigureAwait(false);

    public void Refresh(string key)
    {
        var redisKey = Key(key);
        if (!AllowWrite())
        {
            return;
        }

        try
        {
            _db.ScriptEvaluate(GetScript, [redisKey], [NowMs(), 0]);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed refresh", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        var redisKey = Key(key);
        token.ThrowIfCancellationRequested();
        if (!AllowWrite())
        {
            return;
        }

        try
        {
            await _db.ScriptEvaluateAsync(GetScript, [redisKey], [NowMs(), 0]).WaitAsync(token).ConfigureAwait(false);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed refresh", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    public void Remove(string key)
    {
        var redisKey = Key(key);
        if (!AllowWrite())
        {
            return;
        }

        try
        {
            _db.KeyDelete(redisKey);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed remove", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var redisKey = Key(key);
        token.ThrowIfCancellationRequested();
        if (!AllowWrite())
        {
            return;
        }

        try
        {
            await _db.KeyDeleteAsync(redisKey).WaitAsync(token).ConfigureAwait(false);
            _faults.Succeeded();
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("distributed remove", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }
        }
    }

    private (RedisKey[] Keys, RedisValue[] Args) SetArguments(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var redisKey = Key(key);
        var now = _time.GetUtcNow();
        DateTimeOffset? absolute = options.AbsoluteExpiration;
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), relative, "The relative expiration value must be positive.");
            }

            absolute = now + relative;
        }

        if (absolute is { } at && at <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), at, "The absolute expiration value must be in the future.");
        }

        var sliding = options.SlidingExpiration;
        if (sliding is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), s, "The sliding expiration value must be positive.");
        }

        if (absolute is null && sliding is null)
        {
            sliding = _cacheOptions.DefaultSlidingExpiration;
        }

        var slidingMs = sliding is { } sl ? Ceiling(sl) : -1;
        var absoluteMs = absolute?.ToUnixTimeMilliseconds() ?? -1;
        var ttl = absolute is { } abs ? Ceiling(abs - now) : long.MaxValue;
        if (slidingMs > 0 && slidingMs < ttl)
        {
            ttl = slidingMs;
        }

        return ([redisKey], [value, slidingMs, absoluteMs, ttl]);
    }

    /// <summary>
    /// Whether a write may go to the server; while the circuit breaker is open it is dropped, and
    /// surfaces as an error only when the application asked for write errors, as in the cache.
    /// </summary>
    private bool AllowWrite()
    {
        if (_faults.Allow())
        {
            return true;
        }

        if (_options.ThrowOnWriteErrors)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The cache server is failing; the circuit breaker is open.");
        }

        return false;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static long Ceiling(TimeSpan span) => Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds));
}
