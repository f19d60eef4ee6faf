using System.Diagnostics;
using Hotpath.Internals;
using Hotpath.Testing;

namespace Hotpath.Tests;

/// <summary>The memory tier (L1), the backplane, cross-instance stampede protection, fail-safe and eager refresh.</summary>
public sealed class MemoryTierTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    public sealed class Box
    {
        public int Value { get; set; }
    }

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static Task<HotpathCache> Ready(HotpathCache cache) => TestServers.ReadyAsync(cache);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AMemoryHitReturnsTheStoredInstanceWithoutARoundTrip(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(AMemoryHitReturnsTheStoredInstanceWithoutARoundTrip)));
        var cache = await Ready(instance.Cache);
        var box = new Box { Value = 1 };
        await cache.SetAsync("box:1", box);

        var first = await cache.GetAsync<Box>("box:1");

        // Remove it behind the cache's back (no backplane message): only a memory hit can still find it.
        await TestServers.Multiplexer(server).GetDatabase().KeyDeleteAsync(instance.Connection.KeyPrefix + "box:1");
        var second = await cache.GetAsync<Box>("box:1");

        Assert.True(second.Found);
        Assert.Same(box, second.Value);
        Assert.Same(box, first.Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task CopyOnReadGivesEveryReaderItsOwnInstance(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(CopyOnReadGivesEveryReaderItsOwnInstance)));
        var cache = await Ready(instance.Cache);
        await cache.SetAsync("box:1", new Box { Value = 1 }, new CacheEntryOptions { CopyOnRead = true });

        var first = (await cache.GetAsync<Box>("box:1")).Value;
        first.Value = 99;
        var second = (await cache.GetAsync<Box>("box:1")).Value;

        Assert.NotSame(first, second);
        Assert.Equal(1, second.Value);
        Assert.Equal(1, cache.Memory!.Count);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnEntryCanStayOutOfTheMemoryTier(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(AnEntryCanStayOutOfTheMemoryTier)));
        var cache = await Ready(instance.Cache);
        await cache.SetAsync("box:1", new Box { Value = 1 }, new CacheEntryOptions { UseMemoryTier = false });

        var read = await cache.GetAsync<Box>("box:1");

        Assert.Equal(1, read.Value.Value);
        Assert.Equal(0, cache.Memory!.Count);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AWriteOnOneInstanceLeavesNoStaleCopyInAnotherInstancesMemory(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AWriteOnOneInstanceLeavesNoStaleCopyInAnotherInstancesMemory));
        using var a = TestServers.NewInstance(server, prefix);
        using var b = TestServers.NewInstance(server, prefix);
        await Ready(a.Cache);
        await Ready(b.Cache);
        await a.Cache.SetAsync("product:1:v1", "old");

        // b's first read may race a's own invalidation message and then rightly stay out of memory; read until it sticks.
        Assert.True(await Eventually.TrueAsync(async () => (await b.Cache.GetAsync<string>("product:1:v1")).Value == "old" && b.Cache.Memory!.Count == 1, Bound));

        await a.Cache.SetAsync("product:1:v1", "new");

        Assert.True(await Eventually.TrueAsync(async () => (await b.Cache.GetAsync<string>("product:1:v1")).Value == "new", Bound));
        await a.Cache.DeleteAsync("product:1:v1");
        Assert.True(await Eventually.TrueAsync(async () => !(await b.Cache.GetAsync<string>("product:1:v1")).Found, Bound));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TagInvalidationAndPatternDeletionReachEveryInstancesMemory(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(TagInvalidationAndPatternDeletionReachEveryInstancesMemory));
        using var a = TestServers.NewInstance(server, prefix);
        using var b = TestServers.NewInstance(server, prefix);
        await Ready(a.Cache);
        await Ready(b.Cache);
        await a.Cache.SetAsync("list:1", "x", new CacheEntryOptions { Tags = ["products"] });
        await a.Cache.SetAsync("other:1", "y");
        Assert.True((await b.Cache.GetAsync<string>("list:1")).Found);
        Assert.True((await b.Cache.GetAsync<string>("other:1")).Found);

        await a.Cache.InvalidateTagAsync("products");
        Assert.True(await Eventually.TrueAsync(async () => !(await b.Cache.GetAsync<string>("list:1")).Found, Bound));

        await a.Cache.DeleteByPatternAsync("other:*");
        Assert.True(await Eventually.TrueAsync(async () => !(await b.Cache.GetAsync<string>("other:1")).Found, Bound));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task KnownTagVersionsFollowInvalidationsOnOtherInstances(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(KnownTagVersionsFollowInvalidationsOnOtherInstances));
        using var a = TestServers.NewInstance(server, prefix);
        using var b = TestServers.NewInstance(server, prefix);
        await Ready(a.Cache);
        await Ready(b.Cache);
        var serverOnly = new CacheEntryOptions { Tags = ["products"], UseMemoryTier = false };
        await a.Cache.SetAsync("page:1", "p1", serverOnly);

        // b learns the tag's version while reading (kept in memory, so later tagged reads need no extra round trip).
        Assert.True((await b.Cache.GetAsync<string>("page:1")).Found);
        Assert.True(b.Cache.Memory!.TryGetTagVersion("products", out _));

        await a.Cache.InvalidateTagAsync("products");

        Assert.True(await Eventually.TrueAsync(async () => !(await b.Cache.GetAsync<string>("page:1")).Found, Bound));
        await b.Cache.SetAsync("page:1", "p2", serverOnly);
        Assert.Equal("p2", (await a.Cache.GetAsync<string>("page:1")).Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnInstanceIgnoresItsOwnMessages(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(AnInstanceIgnoresItsOwnMessages)));
        var cache = await Ready(instance.Cache);

        await cache.SetAsync("k:1", "v");
        await Task.Delay(200);

        // Its own "evict k:1" message came back over pub/sub and was ignored: the entry it just wrote is still in memory.
        Assert.Equal(1, cache.Memory!.Count);
    }

    [RedisServerFact]
    public async Task WhenTheSubscriptionDropsTheMemoryTierIsClearedAndBypassedUntilItIsBack()
    {
        using var redis = await RedisProcess.StartAsync();
        var prefix = TestServers.UniquePrefix(nameof(WhenTheSubscriptionDropsTheMemoryTierIsClearedAndBypassedUntilItIsBack));
        using var a = TestServers.NewInstance(TestServers.Garnet, prefix, o => o.RedisUrl = redis.Url);
        using var b = TestServers.NewInstance(TestServers.Garnet, prefix, o => o.RedisUrl = redis.Url);
        await Ready(a.Cache);
        await Ready(b.Cache);
        await a.Cache.SetAsync("k:1", "old");
        Assert.True(await Eventually.TrueAsync(async () => (await b.Cache.GetAsync<string>("k:1")).Value == "old" && b.Cache.Memory!.Count == 1, Bound));

        // Drop every pub/sub connection; a write lands while b cannot hear about it.
        await redis.Command("CLIENT", "KILL", "TYPE", "pubsub");
        await redis.Command("SET", prefix + "k:1", "garbage that a stale memory copy would hide");
        await a.Cache.SetAsync("k:1", "new");

        Assert.True(await Eventually.TrueAsync(async () => (await b.Cache.GetAsync<string>("k:1")).Value == "new", Bound));
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(b.Cache.Memory!.IsTrusted), Bound));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task FourInstancesWithManyCallersOnAColdKeyRunTheFactoryOnce(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(FourInstancesWithManyCallersOnAColdKeyRunTheFactoryOnce));
        var instances = Enumerable.Range(0, 4).Select(_ => TestServers.NewInstance(server, prefix, o => o.LeaseWaitTimeout = TimeSpan.FromSeconds(10))).ToArray();
        try
        {
            foreach (var instance in instances)
            {
                await Ready(instance.Cache);
            }

            var calls = 0;
            var start = new TaskCompletionSource();
            var callers = instances.SelectMany(instance => Enumerable.Range(0, 250).Select(_ => Task.Run(async () =>
            {
                await start.Task;
                return await instance.Cache.GetOrSetAsync("cold:1", async ct =>
                {
                    Interlocked.Increment(ref calls);
                    await Task.Delay(300, ct);
                    return 42;
                });
            }))).ToArray();
            start.SetResult();
            var results = await Task.WhenAll(callers);

            Assert.Equal(1, calls);
            Assert.All(results, r => Assert.Equal(42, r));
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task FailSafeServesTheStaleValueWhenTheFactoryThrows(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(FailSafeServesTheStaleValueWhenTheFactoryThrows)), o => o.L1.Enabled = false);
        var cache = instance.Cache;
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMilliseconds(200), FailSafe = true };
        await cache.GetOrSetAsync("fs:1", 0, (_, _) => ValueTask.FromResult("fresh"), options);
        await Task.Delay(400);
        Assert.False((await cache.GetAsync<string>("fs:1")).Found);

        var value = await cache.GetOrSetAsync<int, string>("fs:1", 0, (_, _) => throw new InvalidOperationException("database down"), options);
        var calls = 0;
        var throttled = await cache.GetOrSetAsync("fs:1", 0, (_, _) => { calls++; return ValueTask.FromResult("should not run yet"); }, options);

        Assert.Equal("fresh", value);
        Assert.Equal("fresh", throttled);
        Assert.Equal(0, calls);
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrSetAsync<int, string>("fs:none", 0, (_, _) => throw new InvalidOperationException("no stale"), options).AsTask());
    }

    public static TheoryData<string, bool> ServersWithAndWithoutMemory => CoalescingAfterInvalidationTests.ServersWithAndWithoutMemory;

    [Theory]
    [MemberData(nameof(ServersWithAndWithoutMemory))]
    public async Task RefreshMovesTheLogicalExpirySoAnEntryRefreshedInTimeSlides(string server, bool memoryTier)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(RefreshMovesTheLogicalExpirySoAnEntryRefreshedInTimeSlides)), o => o.L1.Enabled = memoryTier);
        var cache = instance.Cache;
        Assert.True(await Eventually.TrueAsync(() => !memoryTier || cache.Memory!.IsTrusted));
        // Wide enough that a stalled thread pool on a loaded machine cannot outlast it between two refreshes.
        var ttl = TimeSpan.FromSeconds(1.5);
        await cache.SetAsync("session:1", "alice", ttl);
        var written = System.Diagnostics.Stopwatch.StartNew();

        // Refreshed well within its span, again and again, for more than twice its first lifetime.
        while (written.Elapsed < ttl * 2.5)
        {
            Assert.True(await cache.RefreshAsync("session:1", ttl), $"the entry was gone {written.Elapsed} after it was written");
            Assert.Equal("alice", (await cache.GetAsync<string>("session:1")).Value);
            await Task.Delay(100);
        }

        // Left alone, it ends.
        Assert.True(await Eventually.TrueAsync(async () => !(await cache.GetAsync<string>("session:1")).Found), "an idle entry never ended");
        Assert.False(await cache.RefreshAsync("session:1", ttl));
    }

    [Theory]
    [MemberData(nameof(ServersWithAndWithoutMemory))]
    public async Task AfterFailSafeServedAStaleValueAPlainReadStillMisses(string server, bool memoryTier)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(AfterFailSafeServedAStaleValueAPlainReadStillMisses)), o => o.L1.Enabled = memoryTier);
        var cache = instance.Cache;
        Assert.True(await Eventually.TrueAsync(() => !memoryTier || cache.Memory!.IsTrusted));
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromMilliseconds(200), FailSafe = true };
        await cache.GetOrSetAsync("fs:2", 0, (_, _) => ValueTask.FromResult("fresh"), options);
        Assert.True(await Eventually.TrueAsync(async () => !(await cache.GetAsync<string>("fs:2")).Found), "the entry never expired");

        Assert.Equal("fresh", await cache.GetOrSetAsync<int, string>("fs:2", 0, (_, _) => throw new InvalidOperationException("database down"), options));

        var read = await cache.GetAsync<string>("fs:2");
        Assert.False(read.Found, "a plain read after a fail-safe activation returned a value past its time to live");
        Assert.False(await cache.ExistsAsync("fs:2"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SoftTimeoutServesStaleAndTheSlowFactoryStillRefreshes(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(SoftTimeoutServesStaleAndTheSlowFactoryStillRefreshes)), o => o.L1.Enabled = false);
        var cache = instance.Cache;
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromSeconds(1), FailSafe = true, FactorySoftTimeout = TimeSpan.FromMilliseconds(100) };
        await cache.GetOrSetAsync("fs:2", 0, (_, _) => ValueTask.FromResult("v1"), options);
        await Task.Delay(1200);
        var release = new TaskCompletionSource();

        var answer = await cache.GetOrSetAsync("fs:2", 0, async (_, _) => { await release.Task; return "v2"; }, options);
        release.SetResult();

        Assert.Equal("v1", answer);
        Assert.True(await Eventually.TrueAsync(async () => (await cache.GetAsync<string>("fs:2")).Value == "v2", Bound));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task HardTimeoutFailsTheCallWhenThereIsNoStaleValue(string server)
    {
        var cache = TestServers.Cache(server, nameof(HardTimeoutFailsTheCallWhenThereIsNoStaleValue));
        var options = new CacheEntryOptions { FactoryHardTimeout = TimeSpan.FromMilliseconds(100) };

        await Assert.ThrowsAsync<TimeoutException>(() => cache.GetOrSetAsync("slow:1", 0, async (_, ct) => { await Task.Delay(5000, ct); return 1; }, options).AsTask());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task EagerRefreshReplacesAValueBeforeItExpiresWithoutACallerWaiting(string server)
    {
        using var instance = TestServers.NewInstance(server, TestServers.UniquePrefix(nameof(EagerRefreshReplacesAValueBeforeItExpiresWithoutACallerWaiting)));
        var cache = await Ready(instance.Cache);
        var options = new CacheEntryOptions { Ttl = TimeSpan.FromSeconds(2), EagerRefreshThreshold = 0.5 };
        var version = 0;
        var release = new TaskCompletionSource();
        Func<int, CancellationToken, ValueTask<int>> factory = async (_, _) =>
        {
            if (Interlocked.Increment(ref version) > 1)
            {
                await release.Task;
            }

            return version;
        };
        Assert.Equal(1, await cache.GetOrSetAsync("eager:1", 0, factory, options));
        await Task.Delay(1200);

        // Past half its lifetime: the hit answers at once with the current value while a refresh starts.
        var during = await cache.GetOrSetAsync("eager:1", 0, factory, options);
        Assert.Equal(1, during);
        Assert.Equal(1, await cache.GetOrSetAsync("eager:1", 0, factory, options));
        release.SetResult();

        Assert.True(await Eventually.TrueAsync(async () => (await cache.GetAsync<int>("eager:1")).Value == 2, Bound));
        Assert.Equal(2, version);
    }

    [Fact]
    public async Task TheMemoryTierStaysWithinItsEntryBound()
    {
        using var instance = TestServers.NewInstance(TestServers.Garnet, TestServers.UniquePrefix(nameof(TheMemoryTierStaysWithinItsEntryBound)), o => o.L1.MaxEntries = 50);
        var cache = await Ready(instance.Cache);
        for (var i = 0; i < 200; i++)
        {
            await cache.SetAsync($"k:{i}", i);
        }

        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.Memory!.Count <= 50), Bound));
        Assert.Equal(199, (await cache.GetAsync<int>("k:199")).Value);
    }

    [Fact]
    public async Task TheMemoryTierStaysWithinItsSizeBound()
    {
        using var instance = TestServers.NewInstance(TestServers.Garnet, TestServers.UniquePrefix(nameof(TheMemoryTierStaysWithinItsSizeBound)), o => o.L1.MaxSizeBytes = 20_000);
        var cache = await Ready(instance.Cache);
        var value = new string('v', 1000);
        for (var i = 0; i < 200; i++)
        {
            await cache.SetAsync($"k:{i}", value + i);
        }

        // Far below the entry bound: only the size bound can keep it to about twenty entries.
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.Memory!.SizeBytes <= 20_000), Bound), $"{cache.Memory!.SizeBytes} bytes held");
        Assert.InRange(cache.Memory!.Count, 1, 20);
        Assert.Equal(value + 199, (await cache.GetAsync<string>("k:199")).Value);
    }

    [Fact]
    public async Task AnEntryLeavesTheMemoryTierAfterMaxDurationWhileTheServerStillHoldsIt()
    {
        using var instance = TestServers.NewInstance(TestServers.Garnet, TestServers.UniquePrefix(nameof(AnEntryLeavesTheMemoryTierAfterMaxDurationWhileTheServerStillHoldsIt)), o => o.L1.MaxDuration = TimeSpan.FromMilliseconds(300));
        var cache = await Ready(instance.Cache);
        await cache.SetAsync("k:1", "v", TimeSpan.FromMinutes(10));
        Assert.True(cache.Memory!.TryGet("k:1", Stopwatch.GetTimestamp(), out _));

        Assert.True(await Eventually.TrueAsync(() => !cache.Memory!.TryGet("k:1", Stopwatch.GetTimestamp(), out _), Bound), "the entry outlived MaxDuration in memory");
        Assert.Equal("v", (await cache.GetAsync<string>("k:1")).Value);
    }

    [Fact]
    public void AReadRacingAnInvalidationIsNotStored()
    {
        var tier = new MemoryTier(new MemoryTierOptions(), TimeProvider.System);
        var before = tier.Snapshot("k:1");
        tier.Evict("k:1");
        tier.Store("k:1", Entry("old"), before);
        Assert.Equal(0, tier.Count);

        var beforeTag = tier.Snapshot("k:2");
        tier.InvalidateTag("products");
        tier.Store("k:2", Entry("old"), beforeTag);
        Assert.Equal(0, tier.Count);

        tier.Store("k:3", Entry("fresh"), tier.Snapshot("k:3"));
        Assert.Equal(1, tier.Count);
    }

    private static MemoryEntry Entry(string value) => new()
    {
        Value = value,
        ValueType = typeof(string),
        IsPayload = false,
        ExpiresAtTimestamp = long.MaxValue,
        CreatedUnixMs = 0,
        LogicalExpiryUnixMs = long.MaxValue,
        Tags = null,
        TagEpochs = null,
        Size = 10,
    };
}
