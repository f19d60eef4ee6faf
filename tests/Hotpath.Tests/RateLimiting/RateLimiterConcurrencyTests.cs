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
}
