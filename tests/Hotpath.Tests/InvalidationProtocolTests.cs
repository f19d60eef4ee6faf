using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotpath.Tests;

/// <summary>
/// The invalidation protocol under the faults that broke its earlier copies: an open breaker, a server
/// that is down for a pattern delete, a caller that cancels after the command was sent, and replays
/// that race new failures. Every test runs against a real redis-server the test controls.
/// </summary>
public sealed class InvalidationProtocolTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Servers => TestServers.Names;

    private static TestServers.Instance Instance(RedisProcess redis, string name, Action<HotpathOptions>? configure = null, string? prefix = null) =>
        OutageTests.Instance(redis, name, o =>
        {
            // Long enough that an opened breaker stays open for the whole test.
            o.Resilience.BreakDuration = TimeSpan.FromSeconds(30);
            configure?.Invoke(o);
        }, prefix);

    [RedisServerFact]
    public async Task ASetRefusedByTheOpenBreakerLeavesNoOldValueInMemory()
    {
        using var redis = await RedisProcess.StartAsync();
        using var instance = Instance(redis, nameof(ASetRefusedByTheOpenBreakerLeavesNoOldValueInMemory), o => o.Resilience.FailureThreshold = 2);
        var cache = instance.Cache;
        Assert.True(await Eventually.TrueAsync(() => cache.Memory!.IsTrusted));
        await cache.SetAsync("product:1:v1", "old");
        Assert.Equal("old", (await cache.GetAsync<string>("product:1:v1")).Value);

        // Writes stall (the connection stays up, so the memory tier stays trusted) until the breaker opens.
        await redis.Command("CLIENT", "PAUSE", "10000", "WRITE");
        for (var i = 0; i < 10 && !cache.Faults.CircuitOpen; i++)
        {
            await cache.SetAsync($"other:{i}", "x");
        }

        Assert.True(cache.Faults.CircuitOpen);
        await cache.SetAsync("product:1:v1", "new");

        var read = await cache.GetAsync<string>("product:1:v1");
        Assert.False(read.Found && read.Value == "old", "the refused write left the old value readable");
        Assert.Equal("db", await cache.GetOrSetAsync("product:1:v1", _ => ValueTask.FromResult("db")));
        await redis.Command("CLIENT", "UNPAUSE");
    }

    [RedisServerFact]
    public async Task APatternDeleteAgainstAServerThatIsDownStaysPendingUntilItReachesIt()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        using var instance = Instance(redis, nameof(APatternDeleteAgainstAServerThatIsDownStaysPendingUntilItReachesIt), o => o.L1.Enabled = false);
        var cache = instance.Cache;
        await cache.SetAsync("user:7:profile:v1", "old");
        await redis.Command("SAVE");

        redis.Stop();
        await cache.DeleteByPatternAsync("user:7:*");
        Assert.True(cache.Replay!.IsPending, "a pattern delete that reached no server must stay pending");

        await redis.RestartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (cache.Replay.IsPending && clock.Elapsed < Bound)
        {
            Assert.False((await cache.GetAsync<string>("user:7:profile:v1")).Found);
            await Task.Delay(20);
        }

        Assert.False(cache.Replay.IsPending);
        Assert.False((await cache.GetAsync<string>("user:7:profile:v1")).Found);
        Assert.Equal("0", (await redis.Command("EXISTS", instance.Connection.KeyPrefix + "user:7:profile:v1")).ToString());
    }

    [RedisServerFact]
    public async Task TheOverflowFallbackDoesNotFinishWhileTheServerIsDown()
    {
        using var redis = await RedisProcess.StartAsync(persistent: true);
        using var instance = Instance(redis, nameof(TheOverflowFallbackDoesNotFinishWhileTheServerIsDown), o =>
        {
            o.L1.Enabled = false;
            o.Resilience.InvalidationQueueCapacity = 2;
        });
        var cache = instance.Cache;
        await cache.SetAsync("k:1", "old");
        await redis.Command("SAVE");

        redis.Stop();
        for (var i = 0; i < 3; i++)
        {
            await cache.DeleteAsync($"k:{i}");
        }

        Assert.True(cache.Replay!.Overflowed);
        var attempts = cache.Replay.Attempts;
        Assert.True(await Eventually.TrueAsync(() => cache.Replay.Attempts >= attempts + 3, Bound), "the replay loop did not retry");
        Assert.True(cache.Replay.IsPending, "the fallback declared success against a server it never reached");

        await redis.RestartAsync();
        Assert.True(await Eventually.TrueAsync(() => !cache.Replay.IsPending, Bound));
        Assert.False((await cache.GetAsync<string>("k:1")).Found);
    }

    [RedisServerFact]
    public async Task ASetCancelledAfterItWasSentLeavesNoOldValueOnTheWritingInstance()
    {
        using var redis = await RedisProcess.StartAsync();
        using var instance = Instance(redis, nameof(ASetCancelledAfterItWasSentLeavesNoOldValueOnTheWritingInstance), o => o.OperationTimeout = TimeSpan.FromSeconds(5));
        var cache = instance.Cache;
        await cache.SetAsync("row:1", "old");
        Assert.Equal("old", (await cache.GetAsync<string>("row:1")).Value);

        await redis.Command("CLIENT", "PAUSE", "500", "WRITE");
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.SetAsync("row:1", "new", cancellationToken: cts.Token));
        }

        // From the moment the call returned until the server settles: never the old value.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            var read = await cache.GetAsync<string>("row:1");
            Assert.False(read.Found && read.Value == "old", "the cancelled write left the old value readable");
            await Task.Delay(20);
        }

        Assert.True(await Eventually.TrueAsync(() => !cache.Replay!.IsPending, Bound));
        var final = await cache.GetAsync<string>("row:1");
        Assert.False(final.Found && final.Value == "old");
    }

    [RedisServerFact]
    public async Task ADeleteCancelledAfterItWasSentStillReachesTheOtherInstances()
    {
        using var redis = await RedisProcess.StartAsync();
        var prefix = TestServers.UniquePrefix(nameof(ADeleteCancelledAfterItWasSentStillReachesTheOtherInstances));
        using var writer = Instance(redis, "writer", o => o.OperationTimeout = TimeSpan.FromSeconds(5), prefix);
        using var reader = Instance(redis, "reader", o => o.OperationTimeout = TimeSpan.FromSeconds(5), prefix);
        Assert.True(await Eventually.TrueAsync(() => writer.Cache.Memory!.IsTrusted && reader.Cache.Memory!.IsTrusted));
        await writer.Cache.SetAsync("row:1", "old");
        Assert.True(await Eventually.TrueAsync(async () => (await reader.Cache.GetAsync<string>("row:1")).Value == "old"));

        await redis.Command("CLIENT", "PAUSE", "500", "WRITE");
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await writer.Cache.DeleteAsync("row:1", cts.Token));
        }

        Assert.True(
            await Eventually.TrueAsync(async () => !(await reader.Cache.GetAsync<string>("row:1")).Found, Bound),
            "the other instance kept serving the value the cancelled delete removed");
    }

    [Fact]
    public async Task AFailureOfAKeyWhileItsReplayIsInFlightIsNotLost()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new List<(InvalidationKind, string)>();
        var replay = NewReplay(async (kind, payload) =>
        {
            lock (calls)
            {
                calls.Add((kind, payload));
            }

            if (calls.Count == 1)
            {
                entered.SetResult();
                await gate.Task;
            }
        });

        replay.Enqueue(InvalidationKind.Key, "k");
        var first = replay.ReplayOnceAsync();
        await entered.Task.WaitAsync(Bound);

        // The key fails again while its first replay is in flight: that newer failure must survive it.
        replay.Enqueue(InvalidationKind.Key, "k");
        gate.SetResult();
        Assert.True(await first);
        Assert.True(replay.IsPending, "the newer failure was removed with the replay in flight");

        Assert.True(await replay.ReplayOnceAsync());
        Assert.False(replay.IsPending);
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public async Task AFailureDuringTheOverflowFallbackIsNotDropped()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new List<(InvalidationKind Kind, string Payload)>();
        var replay = NewReplay(async (kind, payload) =>
        {
            lock (calls)
            {
                calls.Add((kind, payload));
            }

            if (kind == InvalidationKind.Clear && !entered.Task.IsCompleted)
            {
                entered.SetResult();
                await gate.Task;
            }
        }, capacity: 1);

        replay.Enqueue(InvalidationKind.Key, "a");
        replay.Enqueue(InvalidationKind.Key, "b");
        Assert.True(replay.Overflowed);
        var first = replay.ReplayOnceAsync();
        await entered.Task.WaitAsync(Bound);

        // A failure while the fallback runs: the fallback may already be past that key.
        replay.Enqueue(InvalidationKind.Key, "late");
        gate.SetResult();
        await first;

        while (replay.IsPending)
        {
            Assert.True(await replay.ReplayOnceAsync());
        }

        var afterFallback = calls.SkipWhile(c => c.Kind != InvalidationKind.Clear).Skip(1);
        Assert.Contains(afterFallback, c => c == (InvalidationKind.Key, "late") || c.Kind == InvalidationKind.Clear);
    }

    private static InvalidationReplay NewReplay(Func<InvalidationKind, string, Task> replay, int capacity = 100) =>
        new(
            new ResilienceOptions { InvalidationQueueCapacity = capacity, ReplayInterval = TimeSpan.FromHours(1) },
            replay,
            NullLogger.Instance,
            new HotpathMetrics(),
            TimeProvider.System);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ACallWhoseTokenWasCancelledBeforeItStartedChangesNothing(string server)
    {
        var cache = await TestServers.ReadyAsync(TestServers.Cache(server, nameof(ACallWhoseTokenWasCancelledBeforeItStartedChangesNothing)));
        var key = CacheKey.Create($"row:{1}:v1");
        await cache.SetAsync(key, "current", new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(1), Tags = ["rows"] });
        Assert.Equal("current", (await cache.GetAsync<string>(key)).Value);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.SetAsync(key, "other", cancellationToken: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.DeleteAsync(key, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.InvalidateTagAsync("rows", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.DeleteByPatternAsync(CacheKey.Pattern($"row:*"), cancelled.Token));

        // Nothing was evicted, sent or queued: the memory tier still answers, the server still holds the entry.
        Assert.False(cache.Replay!.IsPending, "a call that never started queued a replay");
        Assert.True(cache.Memory!.TryGet(key, System.Diagnostics.Stopwatch.GetTimestamp(), out _), "a call that never started evicted the memory tier");
        Assert.Equal("current", (await cache.GetAsync<string>(key)).Value);
        Assert.True(await TestServers.Multiplexer(server).GetDatabase().KeyExistsAsync(cache.Connection.KeyPrefix + key));
        using var other = TestServers.NewInstance(server, cache.Connection.KeyPrefix);
        Assert.Equal("current", (await other.Cache.GetAsync<string>(key)).Value);
    }
}
