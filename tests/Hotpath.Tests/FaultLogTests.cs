using System.Collections;
using Hotpath.Internals;
using Hotpath.Testing;
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
        var options = new HotpathOptions
        {
            RedisUrl = redis.Url,
            KeyPrefix = TestServers.UniquePrefix(nameof(FaultLogTests)),
            OperationTimeout = TimeSpan.FromMilliseconds(200),
        };

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
        Assert.DoesNotContain("alice", logs.AllText, StringComparison.Ordinal);
        for (var ex = fault.Exception; ex is not null; ex = ex.InnerException)
        {
            // Structured loggers and error trackers export Exception.Data too.
            foreach (DictionaryEntry entry in ex.Data)
            {
                Assert.DoesNotContain("alice", $"{entry.Key}={entry.Value}", StringComparison.Ordinal);
            }
        }
    }
}
