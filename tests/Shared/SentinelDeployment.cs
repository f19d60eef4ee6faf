using System.Diagnostics;
using System.Net;
using StackExchange.Redis;
using Xunit;

namespace Hotpath.Testing;

/// <summary>
/// The Sentinel-managed primary and replica named by <c>HOTPATH_TEST_SENTINEL</c>
/// (<c>redis+sentinel://host:port,…/service</c>). Tests fail it over on purpose, so which server is the
/// primary is only ever learned from the sentinels, never assumed from a port.
/// </summary>
internal sealed class SentinelDeployment : IAsyncDisposable
{
    public const string Variable = "HOTPATH_TEST_SENTINEL";

    private readonly ConnectionMultiplexer[] _sentinels;

    private SentinelDeployment(string url, RedisConnectionSettings settings, ConnectionMultiplexer[] sentinels)
    {
        Url = url;
        Settings = settings;
        _sentinels = sentinels;
    }

    public static string? ConfiguredUrl => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url ? url : null;

    public string Url { get; }

    public RedisConnectionSettings Settings { get; }

    public string ServiceName => Settings.ServiceName!;

    public static async Task<SentinelDeployment> ConnectAsync()
    {
        var url = ConfiguredUrl ?? throw new InvalidOperationException($"{Variable} is not set.");
        var settings = RedisConnectionSettings.Parse(url);
        var sentinels = new List<ConnectionMultiplexer>();
        foreach (var endPoint in settings.EndPoints)
        {
            var options = new ConfigurationOptions
            {
                EndPoints = { endPoint },
                CommandMap = CommandMap.Sentinel,
                AbortOnConnectFail = false,
                AllowAdmin = true,
                ConnectTimeout = 2000,
                AsyncTimeout = 3000,
                SyncTimeout = 3000,
                Password = settings.Password,
                User = settings.User,
            };
            sentinels.Add(await ConnectionMultiplexer.ConnectAsync(options));
        }

        return new SentinelDeployment(url, settings, [.. sentinels]);
    }

    /// <summary>The primary as the sentinels name it now (the first that answers), or null when none does.</summary>
    public async Task<EndPoint?> PrimaryAsync()
    {
        foreach (var sentinel in _sentinels)
        {
            try
            {
                var server = sentinel.GetServer(sentinel.GetEndPoints()[0]);
                if (await server.SentinelGetMasterAddressByNameAsync(ServiceName) is { } primary)
                {
                    return primary;
                }
            }
            catch (RedisException)
            {
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the deployment is ready to fail over: every sentinel names the same primary, that server
    /// says it is the primary with one replica online, and the sentinels see that replica up and in sync.
    /// </summary>
    public async Task<bool> IsSettledAsync()
    {
        try
        {
            EndPoint? agreed = null;
            foreach (var sentinel in _sentinels)
            {
                var server = sentinel.GetServer(sentinel.GetEndPoints()[0]);
                var primary = await server.SentinelGetMasterAddressByNameAsync(ServiceName);
                if (primary is null || (agreed is not null && !agreed.Equals(primary)))
                {
                    return false;
                }

                agreed = primary;
                var replicas = await server.SentinelReplicasAsync(ServiceName);
                if (replicas.Length == 0 || !replicas.Any(static r => IsGoodReplica(r)))
                {
                    return false;
                }
            }

            var info = await InfoAsync(agreed!, "replication");
            return info.Contains("role:master", StringComparison.Ordinal) && info.Contains("connected_slaves:1", StringComparison.Ordinal)
                && info.Contains(",state=online,", StringComparison.Ordinal);
        }
        catch (RedisException)
        {
            return false;
        }
    }

    /// <summary>Waits (bounded) for <see cref="IsSettledAsync"/>; a test that fails the deployment over starts and ends with this.</summary>
    public async Task WaitSettledAsync(TimeSpan bound)
    {
        Assert.True(await Eventually.TrueAsync(IsSettledAsync, bound), $"the Sentinel deployment did not settle within {bound.TotalSeconds:0} s (one primary that every sentinel names, its replica online)");
    }

    /// <summary>
    /// Asks one sentinel to fail over now (<c>SENTINEL FAILOVER</c>) and returns the primary it had;
    /// retried while a previous failover is still in progress.
    /// </summary>
    public async Task<EndPoint> FailOverAsync()
    {
        var before = await PrimaryAsync() ?? throw new InvalidOperationException("No sentinel names a primary.");
        var sentinel = _sentinels[0];
        Task FailOver() => sentinel.GetServer(sentinel.GetEndPoints()[0]).SentinelFailoverAsync(ServiceName);

        // A failover still in progress, or a replica not yet in sync, refuses for a while: ask again, bounded.
        var started = await Eventually.TrueAsync(async () =>
        {
            try
            {
                await FailOver();
                return true;
            }
            catch (RedisServerException ex) when (ex.Message.Contains("INPROG", StringComparison.Ordinal) || ex.Message.Contains("NOGOODSLAVE", StringComparison.Ordinal))
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15));
        if (!started)
        {
            // Let the server's own refusal reach the test.
            await FailOver();
        }

        return before;
    }

    /// <summary>One <c>INFO</c> section of a data server, asked on a connection of its own.</summary>
    public async Task<string> InfoAsync(EndPoint server, string section)
    {
        await using var connection = await DirectAsync(server);
        return (string)(await connection.GetDatabase().ExecuteAsync("INFO", section))!;
    }

    /// <summary>A connection to one data server only (no Sentinel, no discovery), for reading what it holds.</summary>
    public async Task<ConnectionMultiplexer> DirectAsync(EndPoint server)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { server },
            AbortOnConnectFail = false,
            AllowAdmin = true,
            ConnectTimeout = 2000,
            AsyncTimeout = 3000,
            SyncTimeout = 3000,
            Password = Settings.Password,
            User = Settings.User,
            DefaultDatabase = Settings.Database,
        };
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sentinel in _sentinels)
        {
            await sentinel.DisposeAsync();
        }
    }

    private static bool IsGoodReplica(KeyValuePair<string, string>[] replica)
    {
        var fields = replica.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.Ordinal);
        return fields.TryGetValue("flags", out var flags) && flags == "slave"
            && fields.TryGetValue("master-link-status", out var link) && link == "ok";
    }
}

/// <summary>A test that needs the Sentinel deployment of <c>HOTPATH_TEST_SENTINEL</c>; skipped, saying why, when it is unset.</summary>
internal sealed class SentinelFactAttribute : FactAttribute
{
    public SentinelFactAttribute()
    {
        if (SentinelDeployment.ConfiguredUrl is null)
        {
            Skip = $"needs {SentinelDeployment.Variable} (a redis+sentinel:// URL; .ci/run starts one)";
        }
    }
}

/// <summary>The Sentinel tests run one at a time: one of them fails the shared deployment over.</summary>
[CollectionDefinition(Name)]
public sealed class SentinelCollection
{
    public const string Name = "Sentinel";
}
