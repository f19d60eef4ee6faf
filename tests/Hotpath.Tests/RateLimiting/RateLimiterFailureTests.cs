using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotpath.Tests.RateLimiting;

public sealed class RateLimiterFailureTests
{
    public static TheoryData<string> Algorithms => new() { RateLimiterKit.FixedWindow, RateLimiterKit.SlidingWindow, RateLimiterKit.TokenBucket };

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static HotpathConnection Unreachable(CapturingLoggerProvider? logs = null) => HotpathConnection.Create(
        new HotpathOptions
        {
            RedisUrl = $"redis://user:hunter2@127.0.0.1:{ClosedPort()}",
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            OperationTimeout = TimeSpan.FromMilliseconds(300),
        },
        (Microsoft.Extensions.Logging.ILoggerFactory?)logs ?? NullLoggerFactory.Instance);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task AnUnreachableServerFailsOpenToAnInProcessLimitLoggedOnceAndCounted(string algorithm)
    {
        var logs = new CapturingLoggerProvider();
        using var connection = Unreachable(logs);
        var factory = RateLimiterKit.Factory(connection, logs);
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1));

        var decisions = new List<HotpathRateLimitDecision>();
        for (var i = 0; i < 20; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            decisions.Add(lease.Decision());
        }

        Assert.Equal(3, decisions.Count(d => d.IsAcquired));
        Assert.All(decisions, d => Assert.True(d.IsLocal));
        Assert.All(decisions, d => Assert.False(d.IsUnavailable));
        Assert.All(decisions.Where(d => !d.IsAcquired), d => Assert.True(d.RetryAfter > TimeSpan.Zero));
        Assert.Equal(20, factory.TotalFaults);
        Assert.Equal(1, logs.Records.Count(r => r.EventId.Id == 3000));
        Assert.Contains(logs.Records, r => r.EventId.Id == 3000 && r.Message.Contains("fail-open") && r.Message.Contains("'p'"));
        Assert.DoesNotContain("hunter2", logs.AllText);
        Assert.DoesNotContain("alice", logs.AllText);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task AnUnreachableServerFailsClosedWhenThePolicySaysSo(string algorithm)
    {
        var logs = new CapturingLoggerProvider();
        using var connection = Unreachable(logs);
        var factory = RateLimiterKit.Factory(connection, logs);
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1), RateLimiterFailureMode.FailClosed);

        for (var i = 0; i < 5; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.False(lease.IsAcquired);
            Assert.True(lease.Decision().IsUnavailable);
            Assert.Equal(TimeSpan.FromSeconds(5), lease.Decision().RetryAfter);
        }

        Assert.Equal(1, logs.Records.Count(r => r.EventId.Id == 3000));
        Assert.Contains(logs.Records, r => r.EventId.Id == 3000 && r.Message.Contains("fail-closed"));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task ADisabledCacheCountsInProcess(string algorithm)
    {
        var logs = new CapturingLoggerProvider();
        using var connection = HotpathConnection.Create(new HotpathOptions { RedisUrl = "none" }, NullLoggerFactory.Instance);
        var factory = RateLimiterKit.Factory(connection, logs);
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 2, TimeSpan.FromHours(1), RateLimiterFailureMode.FailClosed);

        using var first = limiter.AttemptAcquire(1);
        using var second = await limiter.AcquireAsync(1);
        using var third = await limiter.AcquireAsync(1);

        Assert.True(first.IsAcquired);
        Assert.True(second.IsAcquired);
        Assert.False(third.IsAcquired);
        Assert.True(third.Decision().IsLocal);
        Assert.False(third.Decision().IsUnavailable);
        Assert.Equal(0, factory.TotalFaults);
        Assert.Contains(logs.Records, r => r.EventId.Id == 3002);
    }

    [Fact]
    public async Task DecisionsAgainstAServerThatIsDownFailAtOnce()
    {
        using var connection = HotpathConnection.Create(
            new HotpathOptions
            {
                RedisUrl = $"redis://127.0.0.1:{ClosedPort()}",
                ConnectTimeout = TimeSpan.FromSeconds(2),
                OperationTimeout = TimeSpan.FromSeconds(2),
            },
            NullLoggerFactory.Instance);
        var factory = RateLimiterKit.Factory(connection);
        using var limiter = RateLimiterKit.Create(factory, RateLimiterKit.FixedWindow, "alice", 1000, TimeSpan.FromHours(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        for (var i = 0; i < 50; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.Decision().IsLocal);
        }

        // Waiting for a reconnect or the operation timeout would cost 50 × 2 s; failing at once costs next to nothing.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"50 decisions took {clock.Elapsed}");
        Assert.Equal(50, factory.TotalFaults);
    }

    [Fact]
    public async Task AdmittedAndRejectedDecisionsAreCountedPerPolicyOnTheHotpathMeter()
    {
        var metrics = new HotpathMetrics();
        var counts = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name.StartsWith("hotpath.rate_limit.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var label = instrument.Name;
            foreach (var tag in tags)
            {
                label += $"|{tag.Key}={tag.Value}";
            }

            lock (counts)
            {
                counts[label] = counts.GetValueOrDefault(label) + value;
            }
        });
        listener.Start();
        var factory = RateLimiterKit.Factory(TestServers.Garnet, TestServers.UniquePrefix(nameof(AdmittedAndRejectedDecisionsAreCountedPerPolicyOnTheHotpathMeter)), metrics: metrics);
        using var limiter = factory.CreateFixedWindowLimiter("login", "alice", new() { PermitLimit = 2 });

        for (var i = 0; i < 5; i++)
        {
            await limiter.AcquireAsync(1);
        }

        Assert.Equal(HotpathMeter.Name, metrics.Meter.Name);
        Assert.Equal(2, counts.GetValueOrDefault("hotpath.rate_limit.admitted|policy=login|source=server"));
        Assert.Equal(3, counts.GetValueOrDefault("hotpath.rate_limit.rejected|policy=login|reason=limit"));
    }
}
