using System.Collections;
using Hotpath.Internals;
using Hotpath.Locking;
using Hotpath.Locking.Internals;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using Hotpath.Tests.RateLimiting;
using StackExchange.Redis;

namespace Hotpath.Tests;

/// <summary>What a store fault leaves in the logs: never a key, which can carry user input.</summary>
public sealed class FaultLogTests
{
    [RedisServerFact]
    public async Task AServerTimeoutIsLoggedWithoutTheKeyEvenInTheExceptionData()
    {
        using var redis = await RedisProcess.StartAsync();
        var logs = new CapturingLoggerProvider();
        var options = Options(redis);

        // Every read goes to the server.
        options.L1.Enabled = false;
        using var connection = HotpathConnection.Create(options, logs);
        using var cache = new HotpathCache(connection, options, logs, new HotpathMetrics());
        var key = CacheKey.Create($"user:{"alice@example.com"}:profile:v1");
        await cache.SetAsync(key, "profile");

        // The server holds every client's commands for a while: the read times out in the client.
        await redis.Command("CLIENT", "PAUSE", "3000", "ALL");
        var read = await cache.GetAsync<string>(key);

        Assert.False(read.Found);
        var fault = Assert.Single(logs.Records, r => r.EventId.Id == 10);
        Assert.IsType<RedisTimeoutException>(fault.Exception);
        AssertNowhere("alice", logs);
    }

    [RedisServerFact]
    public async Task AFailedWriteIsLoggedWithoutTheValueOrTheKey()
    {
        using var redis = await RedisProcess.StartAsync();
        var logs = new CapturingLoggerProvider();
        var options = Options(redis);
        using var connection = HotpathConnection.Create(options, logs);
        using var cache = new HotpathCache(connection, options, logs, new HotpathMetrics());
        var key = CacheKey.Create($"user:{"alice@example.com"}:profile:v1");
        await cache.SetAsync(key, "first");

        await redis.Command("CLIENT", "PAUSE", "3000", "ALL");
        await cache.SetAsync(key, "s3cret-profile-value");

        var fault = Assert.Single(logs.Records, r => r.EventId.Id == 10);
        Assert.IsType<RedisTimeoutException>(fault.Exception);
        AssertNowhere("s3cret-profile-value", logs);
        AssertNowhere("alice", logs);
    }

    [RedisServerFact]
    public async Task ARateLimiterTimeoutIsLoggedWithoutThePartitionEvenInTheExceptionData()
    {
        using var redis = await RedisProcess.StartAsync();
        var logs = new CapturingLoggerProvider();
        using var connection = HotpathConnection.Create(Options(redis), logs);
        var factory = RateLimiterKit.Factory(connection, logs);
        using var limiter = factory.CreateFixedWindowLimiter("login", "alice@example.com", new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) });
        using (var first = await limiter.AcquireAsync(1))
        {
            Assert.False(first.Decision().IsLocal);
        }

        await redis.Command("CLIENT", "PAUSE", "3000", "ALL");
        using var lease = await limiter.AcquireAsync(1);

        Assert.True(lease.Decision().IsLocal);
        var fault = Assert.Single(logs.Records, r => r.EventId.Id == 3000);
        Assert.IsType<RedisTimeoutException>(fault.Exception);
        AssertNowhere("alice", logs);
    }

    [RedisServerFact]
    public async Task ALockReleaseTimeoutIsLoggedWithoutTheLockNameEvenInTheExceptionData()
    {
        using var redis = await RedisProcess.StartAsync();
        var logs = new CapturingLoggerProvider();
        var options = Options(redis);
        using var connection = HotpathConnection.Create(options, logs);
        var locks = LockService.Create(connection, new LockOptions(), new HotpathMetrics(), logs, TimeProvider.System);
        var handle = await locks.AcquireAsync("user:alice@example.com", TimeSpan.FromSeconds(30));

        await redis.Command("CLIENT", "PAUSE", "3000", "ALL");
        Assert.False(await handle.ReleaseAsync());

        var fault = Assert.Single(logs.Records, r => r.EventId.Id == 4003);
        Assert.IsType<RedisTimeoutException>(fault.Exception);
        AssertNowhere("alice", logs);
    }

    private static HotpathOptions Options(RedisProcess redis) => new()
    {
        RedisUrl = redis.Url,
        KeyPrefix = TestServers.UniquePrefix(nameof(FaultLogTests)),
        OperationTimeout = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Neither the text of any log record nor the data of any exception logged carries <paramref name="secret"/>.</summary>
    internal static void AssertNowhere(string secret, CapturingLoggerProvider logs)
    {
        Assert.DoesNotContain(secret, logs.AllText, StringComparison.Ordinal);
        foreach (var record in logs.Records)
        {
            AssertNowhere(secret, record.Exception);
        }
    }

    /// <summary>Structured loggers and error trackers export <see cref="Exception.Data"/> too, so it must not carry <paramref name="secret"/>.</summary>
    internal static void AssertNowhere(string secret, Exception? exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
            foreach (DictionaryEntry entry in ex.Data)
            {
                Assert.DoesNotContain(secret, $"{entry.Key}={entry.Value}", StringComparison.Ordinal);
            }
        }
    }
}
