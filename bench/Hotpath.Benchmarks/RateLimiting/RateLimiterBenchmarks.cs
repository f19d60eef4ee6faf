using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Hotpath.Benchmarks.RateLimiting;

/// <summary>
/// Decision latency and allocations of Hotpath's server-held limiters against the RedisRateLimiting
/// package, on the same server and the same multiplexer, one admitted decision per operation.
/// </summary>
/// <remarks>
/// <para>
/// The server comes from <c>HOTPATH_BENCH_REDIS</c> (a <c>redis://host:port</c> URL). Limits are far
/// above what a run can use, so every decision admits and both sides do the same work per call.
/// Each run uses fresh partitions.
/// </para>
/// <para>
/// Fixed window and token bucket are the same algorithm on both sides. The sliding window rows are
/// not: RedisRateLimiting keeps a sorted-set entry per request in the window (exact, memory grows with
/// the rate), Hotpath two weighted counters (approximate, constant memory); they are reported for
/// what a user picking "sliding window" gets from each.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RateLimiterBenchmarks
{
    public const string ServerVariable = "HOTPATH_BENCH_REDIS";

    private const int HugeLimit = int.MaxValue / 2;

    private ConnectionMultiplexer _multiplexer = null!;
    private HotpathConnection _connection = null!;
    private HotpathMetrics _metrics = null!;
    private RateLimiter _hotpathFixedWindow = null!;
    private RateLimiter _peerFixedWindow = null!;
    private RateLimiter _hotpathTokenBucket = null!;
    private RateLimiter _peerTokenBucket = null!;
    private RateLimiter _hotpathSlidingWindow = null!;
    private RateLimiter _peerSlidingWindow = null!;

    [GlobalSetup]
    public void Setup()
    {
        var url = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new InvalidOperationException($"Set {ServerVariable} to the redis:// URL of the server to measure against.");
        }

        var options = new HotpathOptions { RedisUrl = url, OperationTimeout = TimeSpan.FromSeconds(5) };
        // The connection settings Hotpath itself uses; both sides share the one multiplexer.
        var configuration = RedisConnectionSettings.Parse(url).ToConfigurationOptions(options);
        configuration.AbortOnConnectFail = true;
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _connection = HotpathConnection.Wrap(_multiplexer, options, NullLogger.Instance);
        _metrics = new HotpathMetrics();
        var factory = new HotpathRateLimiterFactory(_connection, _metrics, NullLoggerFactory.Instance, TimeProvider.System, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        var run = Guid.NewGuid().ToString("N");
        Func<IConnectionMultiplexer> shared = () => _multiplexer;

        _hotpathFixedWindow = factory.CreateFixedWindowLimiter("bench", "fw-" + run, new HotpathFixedWindowRateLimiterOptions { PermitLimit = HugeLimit, Window = TimeSpan.FromMinutes(10) });
        _peerFixedWindow = new RedisFixedWindowRateLimiter<string>("bench-fw-" + run, new RedisFixedWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = shared,
            PermitLimit = HugeLimit,
            Window = TimeSpan.FromMinutes(10),
        });

        _hotpathTokenBucket = factory.CreateTokenBucketLimiter("bench", "tb-" + run, new HotpathTokenBucketRateLimiterOptions { TokenLimit = HugeLimit, TokensPerPeriod = HugeLimit, ReplenishmentPeriod = TimeSpan.FromSeconds(1) });
        _peerTokenBucket = new RedisTokenBucketRateLimiter<string>("bench-tb-" + run, new RedisTokenBucketRateLimiterOptions
        {
            ConnectionMultiplexerFactory = shared,
            TokenLimit = HugeLimit,
            TokensPerPeriod = HugeLimit,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        });

        _hotpathSlidingWindow = factory.CreateSlidingWindowLimiter("bench", "sw-" + run, new HotpathSlidingWindowRateLimiterOptions { PermitLimit = HugeLimit, Window = TimeSpan.FromSeconds(1) });
        _peerSlidingWindow = new RedisSlidingWindowRateLimiter<string>("bench-sw-" + run, new RedisSlidingWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = shared,
            PermitLimit = HugeLimit,
            Window = TimeSpan.FromSeconds(1),
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var limiter in new[] { _hotpathFixedWindow, _peerFixedWindow, _hotpathTokenBucket, _peerTokenBucket, _hotpathSlidingWindow, _peerSlidingWindow })
        {
            limiter?.Dispose();
        }

        _metrics?.Dispose();
        _multiplexer?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "RedisRateLimiting")]
    [BenchmarkCategory("FixedWindow")]
    public Task<bool> FixedWindowPeer() => Admit(_peerFixedWindow);

    [Benchmark(Description = "Hotpath")]
    [BenchmarkCategory("FixedWindow")]
    public Task<bool> FixedWindowHotpath() => Admit(_hotpathFixedWindow);

    [Benchmark(Baseline = true, Description = "RedisRateLimiting")]
    [BenchmarkCategory("TokenBucket")]
    public Task<bool> TokenBucketPeer() => Admit(_peerTokenBucket);

    [Benchmark(Description = "Hotpath")]
    [BenchmarkCategory("TokenBucket")]
    public Task<bool> TokenBucketHotpath() => Admit(_hotpathTokenBucket);

    [Benchmark(Baseline = true, Description = "RedisRateLimiting (sorted-set log)")]
    [BenchmarkCategory("SlidingWindow")]
    public Task<bool> SlidingWindowPeer() => Admit(_peerSlidingWindow);

    [Benchmark(Description = "Hotpath (two weighted counters)")]
    [BenchmarkCategory("SlidingWindow")]
    public Task<bool> SlidingWindowHotpath() => Admit(_hotpathSlidingWindow);

    /// <summary>Each algorithm's pair of limiters, Hotpath's first; valid after <see cref="Setup"/>.</summary>
    internal IEnumerable<(string Algorithm, RateLimiter Hotpath, RateLimiter Peer)> Pairs =>
    [
        ("FixedWindow", _hotpathFixedWindow, _peerFixedWindow),
        ("TokenBucket", _hotpathTokenBucket, _peerTokenBucket),
        ("SlidingWindow", _hotpathSlidingWindow, _peerSlidingWindow),
    ];

    internal static async Task<bool> Admit(RateLimiter limiter)
    {
        using var lease = await limiter.AcquireAsync(1).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException("A benchmark decision was refused; the limits are meant never to be reached.");
        }

        return true;
    }
}
