using System.Globalization;
using System.Threading.RateLimiting;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Hotpath.Tests.RateLimiting;

/// <summary>Local admission: limiters that lease batches of permits and admit from them without a round trip.</summary>
public sealed class LocalAdmissionTests
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var server in TestServers.Names)
            {
                data.Add(server, RateLimiterKit.FixedWindow);
                data.Add(server, RateLimiterKit.TokenBucket);
            }

            return data;
        }
    }

    public static TheoryData<string> Algorithms => new() { RateLimiterKit.FixedWindow, RateLimiterKit.TokenBucket };

    internal static RateLimiter Create(HotpathRateLimiterFactory factory, string algorithm, string partition, int limit, TimeSpan window, int batch, RateLimiterFailureMode mode = RateLimiterFailureMode.FailOpen, int maxPartitions = 10_000) => algorithm switch
    {
        RateLimiterKit.FixedWindow => factory.CreateFixedWindowLimiter("p", partition, new()
        {
            PermitLimit = limit, Window = window, FailureMode = mode, LocalAdmission = { BatchSize = batch, MaxPartitions = maxPartitions },
        }),
        RateLimiterKit.TokenBucket => factory.CreateTokenBucketLimiter("p", partition, new()
        {
            TokenLimit = limit, TokensPerPeriod = limit, ReplenishmentPeriod = window, FailureMode = mode, LocalAdmission = { BatchSize = batch, MaxPartitions = maxPartitions },
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OneInstanceAdmitsExactlyTheLimitAndThenRefusesWithARetryAfter(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(OneInstanceAdmitsExactlyTheLimitAndThenRefusesWithARetryAfter)));
        using var limiter = Create(factory, algorithm, "alice", 100, TimeSpan.FromHours(1), batch: 10);

        var admitted = 0;
        var fromAllowance = 0;
        HotpathRateLimitDecision? refusal = null;
        for (var i = 0; i < 110; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            var decision = lease.Decision();
            Assert.False(decision.IsLocal);
            if (lease.IsAcquired)
            {
                admitted++;
                fromAllowance += decision.IsFromAllowance ? 1 : 0;
            }
            else
            {
                refusal ??= decision;
            }
        }

        // One instance uses every permit it leased, so it admits the limit exactly.
        Assert.Equal(100, admitted);
        Assert.True(fromAllowance >= 80, $"{fromAllowance} admissions came from the allowance.");
        Assert.NotNull(refusal);
        Assert.True(refusal.RetryAfter > TimeSpan.Zero);
        Assert.Equal(0, refusal.Remaining);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AttemptAcquireAdmitsFromTheLeasedAllowanceWithoutARoundTripAndOnlyThen(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(AttemptAcquireAdmitsFromTheLeasedAllowanceWithoutARoundTripAndOnlyThen)));
        using var limiter = Create(factory, algorithm, "alice", 100, TimeSpan.FromHours(1), batch: 20);

        // Nothing leased yet: the synchronous try neither decides nor goes to the server.
        using (var before = limiter.AttemptAcquire(1))
        {
            Assert.False(before.IsAcquired);
            Assert.False(before.TryGetMetadata(HotpathRateLimitMetadata.Decision, out _));
        }

        Assert.Equal(0, factory.ServerCalls);
        using (var first = await limiter.AcquireAsync(1))
        {
            Assert.True(first.IsAcquired);
        }

        Assert.Equal(1, factory.ServerCalls);

        // 19 permits are left of the lease: each try takes one, in process. The one prefetch that starts
        // from half a batch down is the only other server call.
        for (var i = 0; i < 19; i++)
        {
            using var lease = limiter.AttemptAcquire(1);
            Assert.True(lease.IsAcquired, $"try {i + 1} was not admitted from the allowance.");
            Assert.True(lease.Decision().IsFromAllowance);
        }

        Assert.InRange(factory.ServerCalls, 1, 2);
        Assert.Equal(20, limiter.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(0, limiter.GetStatistics()!.TotalFailedLeases);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AThousandAdmissionsWithABatchOfFiftyCostAtMostAHundredServerCalls(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(AThousandAdmissionsWithABatchOfFiftyCostAtMostAHundredServerCalls)));
        using var limiter = Create(factory, algorithm, "alice", 1_000_000, TimeSpan.FromHours(1), batch: 50);

        for (var i = 0; i < 1000; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.IsAcquired);
        }

        Assert.InRange(factory.ServerCalls, 1, 100);
    }

    [Theory]
    [MemberData(nameof(TestServers.Names), MemberType = typeof(TestServers))]
    public async Task PermitsLeasedInOneFixedWindowAreNotAdmittedInTheNext(string server)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(PermitsLeasedInOneFixedWindowAreNotAdmittedInTheNext)));
        using var limiter = Create(factory, RateLimiterKit.FixedWindow, "alice", 20, TimeSpan.FromSeconds(2), batch: 10);
        for (var i = 0; i < 2; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.IsAcquired);
        }

        // The instance now holds 8 leased permits. Wait (bounded) until the server's window is over:
        // its counter expires with it.
        var key = (RedisKey)((RedisRateLimiter)limiter).Key;
        Assert.True(await Eventually.TrueAsync(async () => !await factory.Database!.KeyExistsAsync(key), TimeSpan.FromSeconds(10)), "The window's counter never expired.");

        // In the new window the instance admits the limit, not the limit plus the 8 it held: those
        // were counted in the old window and expired with it.
        var admitted = 0;
        for (var i = 0; i < 30; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            admitted += lease.IsAcquired ? 1 : 0;
        }

        Assert.InRange(admitted, 1, 20);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ConcurrentRequestsThatFindTheAllowanceEmptyShareOneLeaseAtATime(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(ConcurrentRequestsThatFindTheAllowanceEmptyShareOneLeaseAtATime)));
        using var limiter = Create(factory, algorithm, "alice", 1_000_000, TimeSpan.FromHours(1), batch: 50);
        using var start = new ManualResetEventSlim();

        // 200 requests at once on a partition with no allowance yet: each lease tops up to 50, so four
        // leases in a row serve them all; a lease per waiting request would be 200 calls.
        var acquires = Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            using var lease = await limiter.AcquireAsync(1);
            return lease.IsAcquired;
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(acquires);

        Assert.All(results, Assert.True);
        Assert.InRange(factory.ServerCalls, 4, 20);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task APartitionOverItsLimitRefusesWithoutAServerCallUntilItsRetryAfter(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(APartitionOverItsLimitRefusesWithoutAServerCallUntilItsRetryAfter)));
        using var limiter = Create(factory, algorithm, "alice", 20, TimeSpan.FromHours(1), batch: 10);
        for (var i = 0; i < 20; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.IsAcquired);
        }

        using (var first = await limiter.AcquireAsync(1))
        {
            Assert.False(first.IsAcquired);
        }

        var calls = factory.ServerCalls;
        for (var i = 0; i < 100; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.False(lease.IsAcquired);
            Assert.True(lease.Decision().RetryAfter > TimeSpan.FromMinutes(50), $"retry after {lease.Decision().RetryAfter}");
        }

        Assert.Equal(calls, factory.ServerCalls);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TheExactModeCostsOneServerCallPerDecision(string server, string algorithm)
    {
        // The counter the cost test relies on counts every decision of the exact mode.
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(TheExactModeCostsOneServerCallPerDecision)));
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 1000, TimeSpan.FromHours(1));

        for (var i = 0; i < 20; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.False(lease.Decision().IsFromAllowance);
        }

        Assert.Equal(20, factory.ServerCalls);
    }

    [Fact]
    public async Task AFloodOfDistinctPartitionsKeepsAtMostMaxPartitionsAllowancesAndAnEvictedPartitionKeepsItsLimit()
    {
        var factory = RateLimiterKit.Factory(TestServers.Garnet, TestServers.UniquePrefix(nameof(AFloodOfDistinctPartitionsKeepsAtMostMaxPartitionsAllowancesAndAnEvictedPartitionKeepsItsLimit)));
        const int Capacity = 100;
        using var first = Create(factory, RateLimiterKit.FixedWindow, "first", 10, TimeSpan.FromHours(1), batch: 5, maxPartitions: Capacity);
        var admitted = 0;
        for (var i = 0; i < 3; i++)
        {
            using var lease = await first.AcquireAsync(1);
            admitted += lease.IsAcquired ? 1 : 0;
        }

        var limiters = new List<RateLimiter>();
        for (var i = 0; i < 2000; i++)
        {
            var limiter = Create(factory, RateLimiterKit.FixedWindow, "flood-" + i.ToString(CultureInfo.InvariantCulture), 10, TimeSpan.FromHours(1), batch: 5, maxPartitions: Capacity);
            limiters.Add(limiter);
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.IsAcquired);
        }

        var algorithm = HotpathRateLimiterFactory.FixedWindow("p", new() { PermitLimit = 10, LocalAdmission = { BatchSize = 5 } });
        var store = factory.Allowances(algorithm, algorithm.LocalAdmission!);
        Assert.InRange(store.Count, 1, Capacity);
        Assert.True(store.Evictions >= 2000 + 1 - Capacity, $"{store.Evictions} evictions.");

        // The first partition's allowance was dropped with the permits it held: asking again leases anew,
        // and the partition still never admits more than its limit.
        for (var i = 0; i < 20; i++)
        {
            using var lease = await first.AcquireAsync(1);
            admitted += lease.IsAcquired ? 1 : 0;
        }

        // 3 admitted from the first lease of 5, whose last 2 and a prefetched 3 were dropped with the
        // allowance; the server had 2 left for the new lease. Fewer than the limit, never more.
        Assert.Equal(5, admitted);
        foreach (var limiter in limiters)
        {
            limiter.Dispose();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(101)]
    public void ABatchSizeOutsideItsRangeIsRefusedNamingTheOptionAndTheRange(int batch)
    {
        var factory = RateLimiterKit.Factory(TestServers.Garnet, "rlvalidate");
        var fixedWindow = Assert.Throws<ArgumentOutOfRangeException>(() => factory.CreateFixedWindowLimiter("p", "a", new() { PermitLimit = 100, LocalAdmission = { BatchSize = batch } }));
        Assert.Equal("LocalAdmission.BatchSize", fixedWindow.ParamName);
        Assert.Contains("0 (off) or between 2 and PermitLimit (100)", fixedWindow.Message, StringComparison.Ordinal);
        var bucket = Assert.Throws<ArgumentOutOfRangeException>(() => factory.CreateTokenBucketLimiter("p", "a", new() { TokenLimit = 100, LocalAdmission = { BatchSize = batch } }));
        Assert.Equal("LocalAdmission.BatchSize", bucket.ParamName);
        Assert.Contains("0 (off) or between 2 and TokenLimit (100)", bucket.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(HotpathLocalAdmissionOptions.MaxPartitionsLimit + 1)]
    public void AMaxPartitionsOutsideItsRangeIsRefusedNamingTheOption(int maxPartitions)
    {
        var factory = RateLimiterKit.Factory(TestServers.Garnet, "rlvalidate");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => factory.CreateFixedWindowLimiter("p", "a", new() { LocalAdmission = { BatchSize = 10, MaxPartitions = maxPartitions } }));
        Assert.Equal("LocalAdmission.MaxPartitions", error.ParamName);
        Assert.Contains("between 1 and 10000000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalAdmissionIsOffByDefault()
    {
        Assert.Equal(0, new HotpathFixedWindowRateLimiterOptions().LocalAdmission.BatchSize);
        Assert.Equal(0, new HotpathTokenBucketRateLimiterOptions().LocalAdmission.BatchSize);
        Assert.Equal(10_000, new HotpathFixedWindowRateLimiterOptions().LocalAdmission.MaxPartitions);
        Assert.Null(HotpathRateLimiterFactory.FixedWindow("p", new()).LocalAdmission);
        Assert.Null(HotpathRateLimiterFactory.TokenBucket("p", new()).LocalAdmission);
    }

    private static HotpathRateLimiterFactory CancellingFactory()
    {
        var options = new HotpathOptions { RedisUrl = TestServers.Url(TestServers.Garnet), KeyPrefix = $"rllacancel:{Guid.NewGuid():N}" };
        return RateLimiterKit.Factory(HotpathConnection.Wrap(CancellingScripts.Wrap(TestServers.Multiplexer(TestServers.Garnet)), options, NullLogger.Instance));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task AFaultedLeaseFailsOpenAndIsCountedAsAFault(string algorithm)
    {
        var factory = CancellingFactory();
        using var limiter = Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1), batch: 2);

        var admitted = 0;
        for (var i = 0; i < 5; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.Decision().IsLocal);
            admitted += lease.IsAcquired ? 1 : 0;
        }

        Assert.Equal(3, admitted);
        Assert.Equal(5, factory.TotalFaults);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task AFaultedLeaseFailsClosedWhenThePolicySaysSo(string algorithm)
    {
        var factory = CancellingFactory();
        using var limiter = Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1), batch: 2, RateLimiterFailureMode.FailClosed);

        using var lease = await limiter.AcquireAsync(1);
        Assert.False(lease.IsAcquired);
        Assert.True(lease.Decision().IsUnavailable);
        Assert.Equal(1, factory.TotalFaults);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task TheCallersOwnCancellationIsACancellationAndNoFault(string algorithm)
    {
        var factory = CancellingFactory();
        using var limiter = Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1), batch: 2);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limiter.AcquireAsync(1, cancelled.Token));
        Assert.Equal(0, factory.TotalFaults);
    }

    [Fact]
    public async Task ACallerCancellingWhileALeaseIsInFlightGetsACancellationAndTheLeaseStillFills()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new HotpathOptions { RedisUrl = TestServers.Url(TestServers.Garnet), KeyPrefix = TestServers.UniquePrefix(nameof(ACallerCancellingWhileALeaseIsInFlightGetsACancellationAndTheLeaseStillFills)) };
        var factory = RateLimiterKit.Factory(HotpathConnection.Wrap(HeldScripts.Wrap(TestServers.Multiplexer(TestServers.Garnet), gate.Task), options, NullLogger.Instance));
        using var limiter = Create(factory, RateLimiterKit.FixedWindow, "alice", 100, TimeSpan.FromHours(1), batch: 10);
        using var cancellation = new CancellationTokenSource();

        var waiting = limiter.AcquireAsync(1, cancellation.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));

        gate.SetResult();
        using var lease = await limiter.AcquireAsync(1).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(lease.IsAcquired);
        Assert.Equal(0, factory.TotalFaults);
        Assert.Equal(1, factory.ServerCalls);
    }
}

/// <summary>Holds every script evaluation until a gate opens, then lets it reach the real server.</summary>
public class HeldScripts : System.Reflection.DispatchProxy
{
    private object _target = null!;
    private Task _gate = null!;

    public static IConnectionMultiplexer Wrap(IConnectionMultiplexer multiplexer, Task gate) => Create(multiplexer, gate);

    private static T Create<T>(T target, Task gate)
        where T : class
    {
        var proxy = Create<T, HeldScripts>();
        var held = (HeldScripts)(object)proxy;
        held._target = target;
        held._gate = gate;
        return proxy;
    }

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IDatabaseAsync.ScriptEvaluateAsync))
        {
            return Held(targetMethod, args);
        }

        try
        {
            var result = targetMethod.Invoke(_target, args);
            return result is IDatabase database ? Create(database, _gate) : result;
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    private async Task<RedisResult> Held(System.Reflection.MethodInfo method, object?[]? args)
    {
        await _gate;
        return await (Task<RedisResult>)method.Invoke(_target, args)!;
    }
}
