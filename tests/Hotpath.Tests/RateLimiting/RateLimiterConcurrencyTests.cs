using System.Threading.RateLimiting;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Tests.RateLimiting;

/// <summary>Runs alone: ten thousand scripts at once would slow every other test sharing the server.</summary>
[CollectionDefinition(nameof(RateLimiterConcurrencyTests), DisableParallelization = true)]
public sealed class RateLimiterConcurrencyCollection;

[Collection(nameof(RateLimiterConcurrencyTests))]
public sealed class RateLimiterConcurrencyTests
{
    public static TheoryData<string, string> Cases => RateLimiterKit.ServersAndAlgorithms;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ExactlyTheLimitIsAdmittedAmongTenThousandConcurrentAttemptsFromFourConnections(string server, string algorithm)
    {
        const int Limit = 100;
        const int Attempts = 10_000;
        var prefix = TestServers.UniquePrefix(nameof(ExactlyTheLimitIsAdmittedAmongTenThousandConcurrentAttemptsFromFourConnections));
        var multiplexers = new List<ConnectionMultiplexer>();
        try
        {
            var limiters = new List<RateLimiter>();
            for (var i = 0; i < 4; i++)
            {
                var multiplexer = await ConnectionMultiplexer.ConnectAsync(RedisConnectionSettings.Parse(TestServers.Url(server)).ToConfigurationOptions(new HotpathOptions { OperationTimeout = TimeSpan.FromSeconds(30) }));
                multiplexers.Add(multiplexer);
                limiters.Add(RateLimiterKit.Create(RateLimiterKit.Factory(server, prefix, multiplexer), algorithm, "shared", Limit, TimeSpan.FromHours(1)));
            }

            using var start = new ManualResetEventSlim();
            var attempts = Enumerable.Range(0, Attempts)
                .Select(i => Task.Run(async () =>
                {
                    start.Wait();
                    using var lease = await limiters[i % limiters.Count].AcquireAsync(1);
                    var decision = lease.Decision();
                    Assert.False(decision.IsLocal);
                    return lease.IsAcquired;
                }))
                .ToArray();
            start.Set();
            var results = await Task.WhenAll(attempts);

            Assert.Equal(Limit, results.Count(admitted => admitted));
        }
        finally
        {
            foreach (var multiplexer in multiplexers)
            {
                await multiplexer.DisposeAsync();
            }
        }
    }

    public static TheoryData<string, string> LocalAdmissionCases => LocalAdmissionTests.Cases;

    [Theory]
    [MemberData(nameof(LocalAdmissionCases))]
    public async Task FourInstancesLeasingBatchesAdmitNoMoreThanTheLimitAndLoseAtMostABatchEach(string server, string algorithm)
    {
        const int Limit = 1000;
        const int Batch = 50;
        const int Instances = 4;
        const int Attempts = 10_000;
        var prefix = TestServers.UniquePrefix(nameof(FourInstancesLeasingBatchesAdmitNoMoreThanTheLimitAndLoseAtMostABatchEach));
        var multiplexers = new List<ConnectionMultiplexer>();
        try
        {
            var factories = new List<Hotpath.RateLimiting.HotpathRateLimiterFactory>();
            var limiters = new List<RateLimiter>();
            for (var i = 0; i < Instances; i++)
            {
                var multiplexer = await ConnectionMultiplexer.ConnectAsync(RedisConnectionSettings.Parse(TestServers.Url(server)).ToConfigurationOptions(new HotpathOptions { OperationTimeout = TimeSpan.FromSeconds(30) }));
                multiplexers.Add(multiplexer);
                var factory = RateLimiterKit.Factory(server, prefix, multiplexer);
                factories.Add(factory);
                limiters.Add(LocalAdmissionTests.Create(factory, algorithm, "shared", Limit, TimeSpan.FromHours(1), Batch));
            }

            using var start = new ManualResetEventSlim();
            var attempts = Enumerable.Range(0, Attempts)
                .Select(i => Task.Run(async () =>
                {
                    start.Wait();
                    using var lease = await limiters[i % limiters.Count].AcquireAsync(1);
                    Assert.False(lease.Decision().IsLocal);
                    return lease.IsAcquired;
                }))
                .ToArray();
            start.Set();
            var results = await Task.WhenAll(attempts);

            // Every admitted permit was leased from the server first: never more than the limit. An
            // instance can end holding at most a batch it leased and did not use.
            var admitted = results.Count(a => a);
            Assert.InRange(admitted, Limit - (Instances * Batch), Limit);
        }
        finally
        {
            foreach (var multiplexer in multiplexers)
            {
                await multiplexer.DisposeAsync();
            }
        }
    }

    /// <summary>The script runs the server itself counted (EVAL and EVALSHA in <c>INFO commandstats</c>).</summary>
    private static async Task<long> ScriptCallsAsync(string server)
    {
        var configuration = RedisConnectionSettings.Parse(TestServers.Url(server)).ToConfigurationOptions(new HotpathOptions { OperationTimeout = TestServers.OperationTimeout });
        configuration.AllowAdmin = true;
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        long calls = 0;
        foreach (var endPoint in multiplexer.GetEndPoints())
        {
            var info = await multiplexer.GetServer(endPoint).InfoAsync("commandstats");
            foreach (var entry in info.SelectMany(group => group))
            {
                if (entry.Key is "cmdstat_eval" or "cmdstat_evalsha")
                {
                    var calledPart = entry.Value.Split(',').First(part => part.StartsWith("calls=", StringComparison.Ordinal));
                    calls += long.Parse(calledPart["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return calls;
    }

    [Theory]
    [MemberData(nameof(LocalAdmissionCases))]
    public async Task AThousandAdmissionsWithABatchOfFiftyRunAtMostAHundredScriptsOnTheServer(string server, string algorithm)
    {
        var factory = RateLimiterKit.Factory(server, TestServers.UniquePrefix(nameof(AThousandAdmissionsWithABatchOfFiftyRunAtMostAHundredScriptsOnTheServer)));
        using var limiter = LocalAdmissionTests.Create(factory, algorithm, "alice", 1_000_000, TimeSpan.FromHours(1), batch: 50);
        var countsOnServer = server == TestServers.Redis;
        var before = countsOnServer ? await ScriptCallsAsync(server) : 0;

        for (var i = 0; i < 1000; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.IsAcquired);
        }

        // A background lease may still be in flight: wait (bounded) until the server has seen every call sent.
        Assert.InRange(factory.ServerCalls, 1, 100);
        if (countsOnServer)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            long ran;
            while ((ran = await ScriptCallsAsync(server) - before) < factory.ServerCalls && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.InRange(ran, factory.ServerCalls, 100);
        }
    }
}
