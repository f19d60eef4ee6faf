using Hotpath.Internals;
using Hotpath.Testing;

namespace Hotpath.Tests;

/// <summary>Lost invalidations and the circuit breaker, against a real redis-server that the test stops and restarts.</summary>
public sealed class OutageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>An instance on a redis-server the test controls, with short timeouts so faults show quickly.</summary>
    internal static TestServers.Instance Instance(RedisProcess redis, string name, Action<HotpathOptions>? configure = null, string? prefix = null) =>
        TestServers.NewInstance(TestServers.Garnet, prefix ?? TestServers.UniquePrefix(name), o =>
        {
            o.RedisUrl = redis.Url;
            o.OperationTimeout = TimeSpan.FromMilliseconds(500);
            o.ConnectTimeout = TimeSpan.FromMilliseconds(500);
            o.Resilience.BreakDuration = TimeSpan.FromMilliseconds(300);
            o.Resilience.ReplayInterval = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(o);
        });

    [RedisServerFact]
    public async Task ADeleteDuringAnOutageIsReplayedBeforeTheOldValueCanBeServed()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        // Replays are spaced out so that reads surely happen while the replay is still pending.
        using var instance = Instance(redis, nameof(ADeleteDuringAnOutageIsReplayedBeforeTheOldValueCanBeServed), o => o.Resilience.ReplayInterval = TimeSpan.FromSeconds(2));
        var cache = instance.Cache;
        await cache.SetAsync("product:1:v1", "old");
        await cache.SetAsync("product:2:v1", "other", new CacheEntryOptions { Tags = ["products"] });
        await redis.Command("SET", "marker", "persisted");

        redis.Stop();
        Assert.False(await cache.DeleteAsync("product:1:v1"));
        await cache.InvalidateTagAsync("products");
        Assert.True(cache.Replay!.IsPending);
        await redis.RestartAsync();
        Assert.Equal("persisted", (await redis.Command("GET", "marker")).ToString());

        // Every read from here on: never the old value, even before the replay has run.
        Assert.False((await cache.GetAsync<string>("product:1:v1")).Found);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (cache.Replay.IsPending && clock.Elapsed < Bound)
        {
            Assert.False((await cache.GetAsync<string>("product:1:v1")).Found);
            Assert.False((await cache.GetAsync<string>("product:2:v1")).Found);
            await Task.Delay(20);
        }

        Assert.False(cache.Replay.IsPending);
        Assert.False((await cache.GetAsync<string>("product:1:v1")).Found);
        Assert.False((await cache.GetAsync<string>("product:2:v1")).Found);
        Assert.Equal("0", (await redis.Command("EXISTS", instance.Connection.KeyPrefix + "product:1:v1")).ToString());
    }

    [RedisServerFact]
    public async Task AWriteThatFailsLeavesNoOldValueBehind()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        using var instance = Instance(redis, nameof(AWriteThatFailsLeavesNoOldValueBehind));
        var cache = instance.Cache;
        await cache.SetAsync("row:1", "v1");

        redis.Stop();
        await cache.SetAsync("row:1", "v2");
        await redis.RestartAsync();

        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(!cache.Replay!.IsPending), Bound));
        Assert.False((await cache.GetAsync<string>("row:1")).Found);
    }

    [RedisServerFact]
    public async Task TheCircuitBreakerSkipsTheServerAfterRepeatedFaultsAndOneProbeClosesIt()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        using var instance = Instance(redis, nameof(TheCircuitBreakerSkipsTheServerAfterRepeatedFaultsAndOneProbeClosesIt), o =>
        {
            o.Resilience.FailureThreshold = 3;
            o.Resilience.BreakDuration = TimeSpan.FromSeconds(1);

            // The breaker guards server calls; a memory hit would answer before the dropped connection is noticed.
            o.L1.Enabled = false;
        });
        var cache = instance.Cache;
        await cache.SetAsync("k:1", "v");

        redis.Stop();
        for (var i = 0; i < 3; i++)
        {
            Assert.False((await cache.GetAsync<string>("k:1")).Found);
        }

        Assert.True(cache.Faults.CircuitOpen);
        var faults = cache.Faults.TotalFaults;
        var calls = 0;
        for (var i = 0; i < 200; i++)
        {
            Assert.False((await cache.GetAsync<string>("k:1")).Found);
            Assert.Equal(i + 1, await cache.GetOrSetAsync($"computed:{i}", _ => ValueTask.FromResult(++calls)));
        }

        // While open, nothing went to the server: no new faults were paid for.
        Assert.Equal(faults, cache.Faults.TotalFaults);

        await redis.RestartAsync();
        Assert.True(await Eventually.TrueAsync(async () => (await cache.GetAsync<string>("k:1")).Found, Bound));
        Assert.False(cache.Faults.CircuitOpen);
    }
}
