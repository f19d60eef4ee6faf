using System.Runtime.CompilerServices;
using Hotpath.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// The cache service: an in-process memory tier (L1) in front of the RESP store (L2). Split by concern:
/// reads in <c>.Read.cs</c>, writes and deletes in <c>.Write.cs</c>, cache-aside in <c>.GetOrSet.cs</c>,
/// tags, patterns and raw payloads in their own files.
/// </summary>
internal sealed partial class HotpathCache : ICache, IInvalidationTarget, IDisposable
{
    private readonly HotpathConnection _connection;
    private readonly IDatabase? _db;
    private readonly ICacheSerializer _serializer;
    private readonly HotpathOptions _options;
    private readonly ILogger _logger;
    private readonly FaultReporter _faults;
    private readonly HotpathMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly MemoryTier? _memory;
    private readonly Backplane? _backplane;
    private readonly InvalidationReplay? _replay;
    private readonly InvalidationProtocol _protocol;
    private readonly BurstLog? _failoverLog;
    private string? _sentinelPrimary;

    public HotpathCache(HotpathConnection connection, HotpathOptions options, ILoggerFactory loggerFactory, HotpathMetrics metrics, TimeProvider? time = null)
    {
        options.Validate();
        _connection = connection;
        _db = connection.Database;
        _options = options;
        _serializer = options.Serializer
            ?? (options.JsonSerializerOptions is { } json ? new SystemTextJsonCacheSerializer(json) : new SystemTextJsonCacheSerializer());
        _logger = loggerFactory.CreateLogger("Hotpath.Cache");
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _faults = new FaultReporter(_logger, _time, options.FaultLogInterval, options.Resilience, metrics);
        if (_db is not null && options.L1.Enabled)
        {
            _memory = new MemoryTier(options.L1, _time);
            _backplane = new Backplane(connection, _memory, metrics, _logger, _time, OnRemoteInvalidation);
        }

        _protocol = new InvalidationProtocol(this, _memory, _backplane, _faults, metrics, options);
        if (_db is not null)
        {
            _replay = new InvalidationReplay(options.Resilience, _protocol.ReplayAsync, _logger, metrics, _time);
            _protocol.Replay = _replay;

            // Known before the first entry is judged, in the common case.
            RefreshGenerationInBackground();
            if (options.Resilience.ResetOnFailover && connection.IsReplicated)
            {
                _failoverLog = new BurstLog(_time, options.FaultLogInterval);
                connection.Multiplexer!.ConnectionFailed += OnConnectionFailed;
                if (connection.Settings.Mode == RedisServerMode.Sentinel)
                {
                    _sentinelPrimary = SentinelPrimary();
                    connection.Multiplexer.ConfigurationChanged += OnConfigurationChanged;
                }
            }
        }
    }

    internal FaultReporter Faults => _faults;

    internal HotpathConnection Connection => _connection;

    internal MemoryTier? Memory => _memory;

    internal HotpathMetrics Metrics => _metrics;

    internal Backplane? Backplane => _backplane;

    internal InvalidationReplay? Replay => _replay;

    /// <summary>
    /// Whether reads may trust the server now: not while the circuit breaker is open, and not while
    /// invalidations that failed are waiting to be replayed (the server may still hold what they remove).
    /// </summary>
    private bool CanRead => !(_replay?.IsPending ?? false) && _faults.Allow();

    public void Dispose()
    {
        if (_failoverLog is not null)
        {
            _connection.Multiplexer!.ConnectionFailed -= OnConnectionFailed;
            if (_connection.Settings.Mode == RedisServerMode.Sentinel)
            {
                _connection.Multiplexer.ConfigurationChanged -= OnConfigurationChanged;
            }
        }

        _backplane?.Dispose();
    }

    /// <summary>
    /// On Cluster or Sentinel, a lost connection to any server may be a failover in the making: the
    /// replica that takes over may lack writes the old primary acknowledged (replication is asynchronous),
    /// and would serve the values they replaced. The reset makes every entry written before it a miss, and
    /// until it has landed, on whichever server is primary then, reads trust no server entry. A Sentinel
    /// failover kills the promoted replica's client connections when it promotes it, so this runs before
    /// the connection moves there; a crashed primary's connection fails before a replica is promoted.
    /// </summary>
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        _replay!.RequestReset();
        if (_failoverLog!.ShouldLog(out var suppressed))
        {
            Log.ResettingAfterLostConnection(_logger, Format(e.EndPoint), e.FailureType, suppressed);
        }
    }

    /// <summary>
    /// On Sentinel, the connection re-read the deployment's roles and now writes to another primary:
    /// while it moved, writes may have reached the old primary and the new one alike, and the old one's
    /// are dropped when it becomes a replica, so an entry on the new primary written after the reset at
    /// the lost connection can still be older than a write this instance had acknowledged. A second
    /// reset, written through the connection as it is now, outdates it too. A re-read that finds the
    /// same primary (they happen at start-up and on reconnects) changes nothing. On a cluster a
    /// failover follows a crash (the lost connection resets) or is coordinated by the servers, which
    /// stop the old primary's writes first, so only the lost connection counts there.
    /// </summary>
    private void OnConfigurationChanged(object? sender, EndPointEventArgs e)
    {
        var primary = SentinelPrimary();
        if (primary is null)
        {
            return;
        }

        var before = Interlocked.Exchange(ref _sentinelPrimary, primary);
        if (before is null || before == primary)
        {
            return;
        }

        _replay!.RequestReset();
        if (_failoverLog!.ShouldLog(out var suppressed))
        {
            Log.ResettingAfterTopologyChange(_logger, primary, suppressed);
        }
    }

    /// <summary>The server a Sentinel connection writes to now, if it knows one.</summary>
    private string? SentinelPrimary()
    {
        foreach (var server in _connection.Multiplexer!.GetServers())
        {
            if (server.IsConnected && !server.IsReplica && server.ServerType != ServerType.Sentinel)
            {
                return Format(server.EndPoint);
            }
        }

        return null;
    }

    private static string Format(System.Net.EndPoint? endPoint) => endPoint switch
    {
        System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        null => "(unknown)",
        _ => endPoint.ToString() ?? "(unknown)",
    };

    public async ValueTask<bool> ExistsAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null || !CanRead)
        {
            return false;
        }

        try
        {
            using var lease = await WithCancellation(_db.StringGetLeaseAsync(key), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            if (lease is null || !EntryCodec.TryParse(lease.Span, out var info) || !info.HasPayload(lease.Length) || info.IsExpiredAt(NowUnixMs()))
            {
                return false;
            }

            return await IsCurrentAsync(info, info.HasTags ? ReadTags(lease.Span, info) : null, cancellationToken).ConfigureAwait(false);
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
        if (_db is null || !_faults.Allow())
        {
            return false;
        }

        try
        {
            // The logical expiry in the header and the key's TTL move together, so the entry reads as
            // current for the whole new span (a session refreshed on every request slides).
            var now = NowUnixMs();
            var result = await WithCancellation(_db.ScriptEvaluateAsync(EntryScripts.Refresh, [key], [now, now + (long)expiry.TotalMilliseconds, (long)expiry.TotalMilliseconds]), cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            var refreshed = (long)result == 1;
            if (refreshed && _memory is not null)
            {
                // Memory copies hold the old expiry: this one and the other instances' read the new header next.
                _memory.Evict(key);
                try
                {
                    await _backplane!.PublishKeyAsync(key).ConfigureAwait(false);
                }
                catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
                {
                    // Other copies then end at the old expiry and are read again from the server: never stale, only early.
                    _faults.Report("refresh", ex);
                }
            }

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
        if (_db is null || !CanRead)
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

    private long NowUnixMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

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

    /// <summary>The key's first segment: a low-cardinality label for logs, never the key itself.</summary>
    internal static string KeyArea(string key)
    {
        var colon = key.IndexOf(CacheKey.Separator);
        return colon < 0 ? "(none)" : key[..colon];
    }

    private static Task<TResult> WithCancellation<TResult>(Task<TResult> task, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;
}
