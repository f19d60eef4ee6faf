using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotpath.Tests;

/// <summary>
/// What a call costs on the server, counted by the server itself (<c>INFO commandstats</c> of a
/// redis-server this test owns): a pattern deletion never runs KEYS, a tag invalidation is one command
/// however many entries carry the tag.
/// </summary>
public sealed class ServerCommandTests
{
    [RedisServerFact]
    public async Task APatternDeletionScansAndUnlinksAndNeverRunsKeys()
    {
        using var redis = await RedisProcess.StartAsync();
        using var instance = Instance(redis, nameof(APatternDeletionScansAndUnlinksAndNeverRunsKeys), o => o.PatternBatchSize = 10);
        for (var i = 0; i < 50; i++)
        {
            await instance.Cache.SetAsync(CacheKey.Create($"user:{i}:orders:v1"), i);
        }

        await redis.Command("CONFIG", "RESETSTAT");
        Assert.Equal(50, await instance.Cache.DeleteByPatternAsync(CacheKey.Pattern($"user:*")));
        var calls = await CommandCallsAsync(redis);

        Assert.Equal(0, calls.GetValueOrDefault("keys"));
        Assert.True(calls.GetValueOrDefault("scan") >= 5, "the scan runs in batches of PatternBatchSize");
        Assert.True(calls.GetValueOrDefault("unlink") >= 1);
    }

    [RedisServerFact]
    public async Task ATagInvalidationIsOneCommandHoweverManyEntriesCarryTheTag()
    {
        using var redis = await RedisProcess.StartAsync();
        using var instance = Instance(redis, nameof(ATagInvalidationIsOneCommandHoweverManyEntriesCarryTheTag));
        var tagged = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), Tags = ["products"] };
        for (var i = 0; i < 500; i++)
        {
            await instance.Cache.SetAsync(CacheKey.Create($"product:{i}:v1"), i, tagged);
        }

        await redis.Command("CONFIG", "RESETSTAT");
        await instance.Cache.InvalidateTagAsync("products");
        var calls = await CommandCallsAsync(redis);

        // One SET of the tag's version; the backplane's PUBLISH goes to the other instances, and the
        // connections' housekeeping (this test's CONFIG and INFO, SELECT, PING) is not the invalidation's.
        var data = calls.Where(c => c.Key is not ("publish" or "info" or "ping" or "echo" or "select") && !c.Key.StartsWith("config", StringComparison.Ordinal)).ToDictionary();
        Assert.Equal(new Dictionary<string, long> { ["set"] = 1 }, data);
        Assert.False((await instance.Cache.GetAsync<int>(CacheKey.Create($"product:{7}:v1"))).Found);
    }

    private static TestServers.Instance Instance(RedisProcess redis, string name, Action<HotpathOptions>? configure = null)
    {
        var options = new HotpathOptions { RedisUrl = redis.Url, KeyPrefix = TestServers.UniquePrefix(name), OperationTimeout = TestServers.OperationTimeout };
        configure?.Invoke(options);
        var connection = HotpathConnection.Create(options, NullLoggerFactory.Instance);
        return new TestServers.Instance(connection, new HotpathCache(connection, options, NullLoggerFactory.Instance, new HotpathMetrics()));
    }

    /// <summary>Calls per command since the last <c>CONFIG RESETSTAT</c>, lower-case names.</summary>
    private static async Task<Dictionary<string, long>> CommandCallsAsync(RedisProcess redis)
    {
        var info = (string)(await redis.Command("INFO", "commandstats"))!;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            // cmdstat_get:calls=3,usec=12,...
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                var name = line["cmdstat_".Length..line.IndexOf(':')];
                var field = line[(line.IndexOf("calls=", StringComparison.Ordinal) + "calls=".Length)..];
                calls[name] = long.Parse(field[..field.IndexOf(',')], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }
}
