using System.Diagnostics;
using System.Threading.RateLimiting;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Tests.RateLimiting;

[Collection(TimingSensitiveCollection.Name)]
public sealed class RateLimiterContractTests
{
    public static TheoryData<string, string> Cases => RateLimiterKit.ServersAndAlgorithms;

    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DecisionsCountDownTheQuotaAndARejectionSaysWhenToRetry(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(DecisionsCountDownTheQuotaAndARejectionSaysWhenToRetry)));
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 3, TimeSpan.FromMinutes(1));

        var remaining = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.IsAcquired);
            remaining.Add(lease.Decision().Remaining);
        }

        using var rejected = await limiter.AcquireAsync(1);

        Assert.Equal([2L, 1L, 0L], remaining);
        Assert.False(rejected.IsAcquired);
        var decision = rejected.Decision();
        Assert.Equal("p", decision.PolicyName);
        Assert.Equal(3, decision.Limit);
        Assert.Equal(0, decision.Remaining);
        Assert.False(decision.IsLocal);
        Assert.False(decision.IsUnavailable);
        Assert.InRange(decision.RetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(2));
        Assert.InRange(decision.Reset, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
        Assert.True(rejected.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.Equal(decision.RetryAfter, retryAfter);
        Assert.Equal(3, limiter.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(1, limiter.GetStatistics()!.TotalFailedLeases);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task PartitionsAndPoliciesHaveQuotasOfTheirOwn(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(PartitionsAndPoliciesHaveQuotasOfTheirOwn)));
        using var alice = RateLimiterKit.Create(factory, algorithm, "alice", 1, TimeSpan.FromMinutes(1));
        using var bob = RateLimiterKit.Create(factory, algorithm, "bob", 1, TimeSpan.FromMinutes(1));
        using var otherPolicy = factory.CreateFixedWindowLimiter("other", "alice", new() { PermitLimit = 1 });

        Assert.True((await alice.AcquireAsync(1)).IsAcquired);
        Assert.False((await alice.AcquireAsync(1)).IsAcquired);
        Assert.True((await bob.AcquireAsync(1)).IsAcquired);
        Assert.True((await otherPolicy.AcquireAsync(1)).IsAcquired);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheQuotaComesBackAfterTheWindow(string server, string algorithm)
    {
        var window = TimeSpan.FromSeconds(1);
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(TheQuotaComesBackAfterTheWindow)));
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 2, window);

        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        using var rejected = await limiter.AcquireAsync(1);
        Assert.False(rejected.IsAcquired);
        // A sliding window weighs the previous window in, so its retry may lie up to two windows away.
        Assert.InRange(rejected.Decision().RetryAfter, TimeSpan.FromMilliseconds(1), window * 2);

        Assert.True(await Eventually.TrueAsync(async () =>
        {
            using var lease = await limiter.AcquireAsync(1);
            return lease.IsAcquired;
        }, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AFixedWindowRestartsWholeAfterItEnds(string server)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(AFixedWindowRestartsWholeAfterItEnds)));
        using var limiter = factory.CreateFixedWindowLimiter("p", "alice", new() { PermitLimit = 3, Window = TimeSpan.FromSeconds(1) });
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        }

        using var rejected = await limiter.AcquireAsync(1);
        Assert.False(rejected.IsAcquired);
        await Task.Delay(rejected.Decision().RetryAfter + TimeSpan.FromMilliseconds(20));

        var admitted = 0;
        for (var i = 0; i < 5; i++)
        {
            admitted += (await limiter.AcquireAsync(1)).IsAcquired ? 1 : 0;
        }

        // Five quick attempts in the new window: exactly the three of a whole window are admitted.
        Assert.Equal(3, admitted);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ASlidingWindowStillCountsThePreviousWindowRightAfterItEnds(string server)
    {
        var window = TimeSpan.FromSeconds(4);
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(ASlidingWindowStillCountsThePreviousWindowRightAfterItEnds)));
        using var limiter = factory.CreateSlidingWindowLimiter("p", "alice", new() { PermitLimit = 10, Window = window });
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        }

        using var rejected = await limiter.AcquireAsync(1);
        var edge = Stopwatch.GetTimestamp() + (long)(rejected.Decision().Reset.TotalSeconds * Stopwatch.Frequency);
        await Task.Delay(rejected.Decision().Reset + (window / 4));

        // Past the edge by a fraction f of the window, the previous window's ten requests still weigh
        // 1 - f: the sliding window admits about 10·f more, where a fixed window would admit ten. The
        // bounds come from the time measured around the requests, so a slow machine cannot fail it.
        var before = Stopwatch.GetElapsedTime(edge, Stopwatch.GetTimestamp()) / window;
        var admitted = 0;
        for (var i = 0; i < 10; i++)
        {
            admitted += (await limiter.AcquireAsync(1)).IsAcquired ? 1 : 0;
        }

        var after = Stopwatch.GetElapsedTime(edge, Stopwatch.GetTimestamp()) / window;
        Assert.InRange(admitted, Math.Max(1, (int)Math.Floor(10 * before) - 1), (int)Math.Ceiling(10 * after) + 1);
        if (after < 0.8)
        {
            Assert.True(admitted < 10, $"{admitted} admitted {after:P0} of a window past its edge");
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ATokenBucketRefillsAtItsRateNotAllAtOnce(string server)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(ATokenBucketRefillsAtItsRateNotAllAtOnce)));
        using var limiter = factory.CreateTokenBucketLimiter("p", "alice", new() { TokenLimit = 5, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(1) });
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        }

        using var rejected = await limiter.AcquireAsync(1);
        Assert.False(rejected.IsAcquired);
        Assert.InRange(rejected.Decision().RetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.InRange(rejected.Decision().Reset, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));

        Assert.True(await Eventually.TrueAsync(async () => (await limiter.AcquireAsync(1)).IsAcquired, TimeSpan.FromSeconds(3)));
        var burst = 0;
        for (var i = 0; i < 5; i++)
        {
            burst += (await limiter.AcquireAsync(1)).IsAcquired ? 1 : 0;
        }

        Assert.InRange(burst, 0, 1);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task StateIsOneExpiringHashUnderOneHashTagWithThePartitionEscaped(string server, string algorithm)
    {
        var prefix = TestServers.UniquePrefix(nameof(StateIsOneExpiringHashUnderOneHashTagWithThePartitionEscaped));
        var factory = RateLimiterKit.Factory(server, prefix);
        const string Partition = "evil}:{other*";
        using var limiter = RateLimiterKit.Create(factory, algorithm, Partition, 10_000, TimeSpan.FromMinutes(1));
        for (var i = 0; i < 500; i++)
        {
            await limiter.AcquireAsync(1);
        }

        var db = TestServers.Multiplexer(server).GetDatabase();
        var key = prefix + ((RedisRateLimiter)limiter).Key;
        var suffix = algorithm switch { RateLimiterKit.FixedWindow => "fw", RateLimiterKit.SlidingWindow => "sw", _ => "tb" };

        Assert.Equal(prefix + "{rl:p:evil%7D%3A%7Bother%2A}:" + suffix, key);
        Assert.Equal(RedisType.Hash, await db.KeyTypeAsync(key));
        Assert.InRange(await db.HashLengthAsync(key), 2, 3);
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(2));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task WindowsRunOnTheServersClock(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(WindowsRunOnTheServersClock));
        var factory = RateLimiterKit.Factory(server, prefix);
        using var limiter = factory.CreateFixedWindowLimiter("p", "alice", new() { PermitLimit = 5 });
        await limiter.AcquireAsync(1);

        var db = TestServers.Multiplexer(server).GetDatabase();
        var start = (long)await db.HashGetAsync(prefix + ((RedisRateLimiter)limiter).Key, "s");
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        var serverNow = ((long)time[0] * 1000) + ((long)time[1] / 1000);

        Assert.InRange(serverNow - start, 0, 5_000);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AVeryLongPartitionKeyIsHashed(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AVeryLongPartitionKeyIsHashed));
        var factory = RateLimiterKit.Factory(server, prefix);
        using var first = factory.CreateFixedWindowLimiter("p", new string('a', 10_000), new() { PermitLimit = 1 });
        using var second = factory.CreateFixedWindowLimiter("p", new string('a', 9_999) + "b", new() { PermitLimit = 1 });

        Assert.True((await first.AcquireAsync(1)).IsAcquired);
        Assert.True((await second.AcquireAsync(1)).IsAcquired);
        Assert.InRange(((RedisRateLimiter)first).Key.Length, 1, 200);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SeveralPermitsAtOnceAndZeroPermitsAreHonoured(string server)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(SeveralPermitsAtOnceAndZeroPermitsAreHonoured)));
        using var limiter = factory.CreateFixedWindowLimiter("p", "alice", new() { PermitLimit = 5 });

        Assert.True((await limiter.AcquireAsync(0)).IsAcquired);
        Assert.True((await limiter.AcquireAsync(4)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(2)).IsAcquired);
        Assert.True((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.False((await limiter.AcquireAsync(0)).IsAcquired);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limiter.AcquireAsync(6).AsTask());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APartitionedLimiterSharesCountsAcrossInstances(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(APartitionedLimiterSharesCountsAcrossInstances));
        var options = new HotpathFixedWindowRateLimiterOptions { PermitLimit = 2 };
        using var one = RateLimiterKit.Factory(server, prefix).CreatePartitionedFixedWindowLimiter("login", options);
        using var two = RateLimiterKit.Factory(server, prefix).CreatePartitionedFixedWindowLimiter("login", options);

        Assert.True((await one.AcquireAsync("alice", 1)).IsAcquired);
        Assert.True((await two.AcquireAsync("alice", 1)).IsAcquired);
        Assert.False((await one.AcquireAsync("alice", 1)).IsAcquired);
        Assert.True((await two.AcquireAsync("bob", 1)).IsAcquired);
    }

    [Fact]
    public void AttemptAcquireNeverBlocksOnTheNetworkAndDecidesNothing()
    {
        var factory = RateLimiterKit.Factory(TestServers.Garnet, TestServers.UniquePrefix(nameof(AttemptAcquireNeverBlocksOnTheNetworkAndDecidesNothing)));
        using var limiter = factory.CreateFixedWindowLimiter("p", "alice", new() { PermitLimit = 5 });

        using var lease = limiter.AttemptAcquire(1);

        Assert.False(lease.IsAcquired);
        Assert.False(lease.TryGetMetadata(HotpathRateLimitMetadata.Decision, out _));
        Assert.Equal(0, limiter.GetStatistics()!.TotalFailedLeases);
    }

    [Fact]
    public void InvalidOptionsAreRefusedWhenTheLimiterIsCreated()
    {
        var factory = RateLimiterKit.Factory(TestServers.Garnet, TestServers.UniquePrefix(nameof(InvalidOptionsAreRefusedWhenTheLimiterIsCreated)));

        Assert.Throws<ArgumentOutOfRangeException>(() => factory.CreateFixedWindowLimiter("p", "a", new() { PermitLimit = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => factory.CreateSlidingWindowLimiter("p", "a", new() { Window = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => factory.CreateTokenBucketLimiter("p", "a", new() { TokensPerPeriod = 0 }));
        Assert.Throws<ArgumentException>(() => factory.CreateFixedWindowLimiter(" ", "a", new()));
        Assert.Throws<ArgumentNullException>(() => factory.CreateFixedWindowLimiter("p", null!, new()));
    }
}
