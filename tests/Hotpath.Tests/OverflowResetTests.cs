using Hotpath.Internals;
using Hotpath.Testing;

namespace Hotpath.Tests;

/// <summary>
/// When more invalidations fail during an outage than the replay queue keeps, the instance no longer
/// knows which keys they named. The fallback is one reset: every cached value written before reads as
/// a miss, on this instance at once and on the others within a bound, in one command whatever the
/// keyspace holds, while application state marked <see cref="CacheEntryOptions.KeepOnReset"/> survives.
/// </summary>
public sealed class OverflowResetTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>How long another instance may go on serving a value from before a reset (docs/caching.md).</summary>
    private static readonly TimeSpan ConvergenceBound = TimeSpan.FromSeconds(5);

    private static TestServers.Instance Instance(RedisProcess redis, string prefix, bool memoryTier = true) =>
        OutageTests.Instance(redis, "unused", o =>
        {
            o.L1.Enabled = memoryTier;
            o.Resilience.InvalidationQueueCapacity = 2;
        }, prefix);

    [RedisServerFact]
    public async Task AnOverflowedQueueResetsEveryCachedValueWithoutDeletingAnyKeyAndKeepsState()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        var prefix = TestServers.UniquePrefix(nameof(AnOverflowedQueueResetsEveryCachedValueWithoutDeletingAnyKeyAndKeepsState));
        using var instance = Instance(redis, prefix);
        var cache = instance.Cache;
        for (var i = 0; i < 5; i++)
        {
            await cache.SetAsync($"k:{i}", i, new CacheEntryOptions { Tags = ["t"] });
        }

        await cache.SetAsync("session:1", "alice", new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(5), KeepOnReset = true });
        await redis.Command("SET", prefix + "foreign", "not a cache entry");
        await redis.Command("SAVE");

        redis.Stop();
        for (var i = 0; i < 3; i++)
        {
            await cache.DeleteAsync($"k:{i}");
        }

        Assert.True(cache.Replay!.Overflowed);
        await redis.RestartAsync();
        Assert.True(await Eventually.TrueAsync(() => !cache.Replay.IsPending, Bound));

        for (var i = 0; i < 5; i++)
        {
            Assert.False((await cache.GetAsync<int>($"k:{i}")).Found, $"k:{i} from before the reset was served");
        }

        // Nothing was scanned or deleted: the reset is one command, the old entries simply read as misses.
        Assert.Equal("1", (await redis.Command("EXISTS", $"{prefix}k:4")).ToString());
        Assert.Equal("alice", (await cache.GetAsync<string>("session:1")).Value);
        Assert.Equal("not a cache entry", (await redis.Command("GET", prefix + "foreign")).ToString());

        // Writes after the reset are current again.
        await cache.SetAsync("k:0", 42);
        Assert.Equal(42, (await cache.GetAsync<int>("k:0")).Value);
        Assert.Equal(7, await cache.GetOrSetAsync("k:1", _ => ValueTask.FromResult(7)));
        Assert.Equal(7, (await cache.GetAsync<int>("k:1")).Value);
    }

    [RedisServerFact]
    public async Task OtherInstancesStopServingValuesFromBeforeTheResetWithinTheBound()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        var prefix = TestServers.UniquePrefix(nameof(OtherInstancesStopServingValuesFromBeforeTheResetWithinTheBound));
        using var writer = Instance(redis, prefix);
        using var withMemory = Instance(redis, prefix);
        using var withoutMemory = Instance(redis, prefix, memoryTier: false);
        Assert.True(await Eventually.TrueAsync(() => writer.Cache.Memory!.IsTrusted && withMemory.Cache.Memory!.IsTrusted, Bound));
        await writer.Cache.SetAsync("row:1", "old");
        Assert.Equal("old", (await withMemory.Cache.GetAsync<string>("row:1")).Value);
        Assert.Equal("old", (await withoutMemory.Cache.GetAsync<string>("row:1")).Value);
        await redis.Command("SAVE");

        // The writer's deletes fail and overflow its queue; the server comes back with the old value.
        redis.Stop();
        for (var i = 0; i < 3; i++)
        {
            await writer.Cache.DeleteAsync(i == 0 ? "row:1" : $"row:{i + 1}");
        }

        Assert.True(writer.Cache.Replay!.Overflowed);
        await redis.RestartAsync();
        Assert.True(await Eventually.TrueAsync(() => !writer.Cache.Replay.IsPending, Bound));
        Assert.False((await writer.Cache.GetAsync<string>("row:1")).Found);

        foreach (var other in new[] { withMemory, withoutMemory })
        {
            Assert.True(
                await Eventually.TrueAsync(async () => !(await other.Cache.GetAsync<string>("row:1")).Found, ConvergenceBound),
                "another instance kept serving a value from before the reset");
        }
    }

    [RedisServerFact]
    public async Task LosingTheGenerationKeyAfterAResetNeverBringsOldValuesBack()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        var prefix = TestServers.UniquePrefix(nameof(LosingTheGenerationKeyAfterAResetNeverBringsOldValuesBack));
        using (var first = Instance(redis, prefix, memoryTier: false))
        {
            await first.Cache.SetAsync("row:1", "old");
            await redis.Command("SAVE");
            redis.Stop();
            for (var i = 0; i < 3; i++)
            {
                await first.Cache.DeleteAsync($"row:{i + 1}");
            }

            await redis.RestartAsync();
            Assert.True(await Eventually.TrueAsync(() => !first.Cache.Replay!.IsPending, Bound));
            Assert.False((await first.Cache.GetAsync<string>("row:1")).Found);

            Assert.Equal("1", (await redis.Command("DEL", prefix + HotpathCache.GenerationKey)).ToString());
            Assert.False((await first.Cache.GetAsync<string>("row:1")).Found);
        }

        // A fresh instance finds no generation key at all: it must not read that as "nothing was ever reset".
        using var fresh = Instance(redis, prefix, memoryTier: false);
        Assert.False((await fresh.Cache.GetAsync<string>("row:1")).Found, "a lost generation key brought a value from before the reset back");
        await fresh.Cache.SetAsync("row:2", "new");
        Assert.Equal("new", (await fresh.Cache.GetAsync<string>("row:2")).Value);
    }
}
