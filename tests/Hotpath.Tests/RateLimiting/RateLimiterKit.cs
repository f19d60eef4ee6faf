using System.Threading.RateLimiting;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Hotpath.Tests.RateLimiting;

/// <summary>Builds rate limiter factories over the test servers, and the three algorithms by name for theories.</summary>
internal static class RateLimiterKit
{
    public const string FixedWindow = "fixed";
    public const string SlidingWindow = "sliding";
    public const string TokenBucket = "bucket";

    public static TheoryData<string, string> ServersAndAlgorithms
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var server in TestServers.Names)
            {
                foreach (var algorithm in new[] { FixedWindow, SlidingWindow, TokenBucket })
                {
                    data.Add(server, algorithm);
                }
            }

            return data;
        }
    }

    public static HotpathRateLimiterFactory Factory(string server, string prefix, IConnectionMultiplexer? multiplexer = null, ILoggerFactory? loggerFactory = null, HotpathMetrics? metrics = null)
    {
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = prefix };
        var connection = HotpathConnection.Wrap(multiplexer ?? TestServers.Multiplexer(server), options, NullLogger.Instance);
        return Factory(connection, loggerFactory, metrics);
    }

    public static HotpathRateLimiterFactory Factory(HotpathConnection connection, ILoggerFactory? loggerFactory = null, HotpathMetrics? metrics = null) =>
        new(connection, metrics ?? new HotpathMetrics(), loggerFactory ?? NullLoggerFactory.Instance, TimeProvider.System, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));

    /// <summary>A limiter of <paramref name="algorithm"/> admitting <paramref name="limit"/> permits per <paramref name="window"/> (a bucket refills completely per window).</summary>
    public static RateLimiter Create(HotpathRateLimiterFactory factory, string algorithm, string partition, int limit, TimeSpan window, RateLimiterFailureMode mode = RateLimiterFailureMode.FailOpen) => algorithm switch
    {
        FixedWindow => factory.CreateFixedWindowLimiter("p", partition, new() { PermitLimit = limit, Window = window, FailureMode = mode }),
        SlidingWindow => factory.CreateSlidingWindowLimiter("p", partition, new() { PermitLimit = limit, Window = window, FailureMode = mode }),
        TokenBucket => factory.CreateTokenBucketLimiter("p", partition, new() { TokenLimit = limit, TokensPerPeriod = limit, ReplenishmentPeriod = window, FailureMode = mode }),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static HotpathRateLimitDecision Decision(this RateLimitLease lease)
    {
        Assert.True(lease.TryGetMetadata(HotpathRateLimitMetadata.Decision, out var decision), "The lease carries no Hotpath decision.");
        return decision!;
    }
}
