using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Hotpath.Benchmarks.RateLimiting;

/// <summary>
/// Decision latency and allocations of Hotpath's limiters in exact mode (one script run per decision)
/// against local admission (a batch of permits leased per script run, decisions from the allowance),
/// on the same server and multiplexer, one admitted decision per operation.
/// </summary>
/// <remarks>
/// The server comes from <c>HOTPATH_BENCH_REDIS</c>. Limits are far above what a run can use, so every
/// decision admits and local admission stays in its steady state: about one background lease per
/// <see cref="BatchSize"/> / 2 decisions. The server calls per decision are printed at cleanup.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class LocalAdmissionBenchmarks
{
    private const int HugeLimit = int.MaxValue / 2;

    private ConnectionMultiplexer _multiplexer = null!;
    private HotpathMetrics _metrics = null!;
    private HotpathRateLimiterFactory _exactFactory = null!;
    private HotpathRateLimiterFactory _localFactory = null!;
    private RateLimiter _exactFixedWindow = null!;
    private RateLimiter _localFixedWindow = null!;
    private RateLimiter _exactTokenBucket = null!;
    private RateLimiter _localTokenBucket = null!;

    /// <summary>The permits one lease takes.</summary>
    [Params(50)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var url = Environment.GetEnvironmentVariable(RateLimiterBenchmarks.ServerVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new InvalidOperationException($"Set {RateLimiterBenchmarks.ServerVariable} to the redis:// URL of the server to measure against.");
        }

        var options = new HotpathOptions { RedisUrl = url, OperationTimeout = TimeSpan.FromSeconds(5) };
        var configuration = RedisConnectionSettings.Parse(url).ToConfigurationOptions(options);
        configuration.AbortOnConnectFail = true;
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        var connection = HotpathConnection.Wrap(_multiplexer, options, NullLogger.Instance);
        _metrics = new HotpathMetrics();
        _exactFactory = new HotpathRateLimiterFactory(connection, _metrics, NullLoggerFactory.Instance, TimeProvider.System, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        _localFactory = new HotpathRateLimiterFactory(connection, _metrics, NullLoggerFactory.Instance, TimeProvider.System, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        var run = Guid.NewGuid().ToString("N");

        _exactFixedWindow = _exactFactory.CreateFixedWindowLimiter("bench-exact", "fw-" + run, new() { PermitLimit = HugeLimit, Window = TimeSpan.FromMinutes(10) });
        _localFixedWindow = _localFactory.CreateFixedWindowLimiter("bench-local", "fw-" + run, new()
        {
            PermitLimit = HugeLimit, Window = TimeSpan.FromMinutes(10), LocalAdmission = { BatchSize = BatchSize },
        });
        _exactTokenBucket = _exactFactory.CreateTokenBucketLimiter("bench-exact", "tb-" + run, new() { TokenLimit = HugeLimit, TokensPerPeriod = HugeLimit, ReplenishmentPeriod = TimeSpan.FromSeconds(1) });
        _localTokenBucket = _localFactory.CreateTokenBucketLimiter("bench-local", "tb-" + run, new()
        {
            TokenLimit = HugeLimit, TokensPerPeriod = HugeLimit, ReplenishmentPeriod = TimeSpan.FromSeconds(1), LocalAdmission = { BatchSize = BatchSize },
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_localFactory is not null && _localFixedWindow is not null)
        {
            var decisions = ((_localFixedWindow.GetStatistics()?.TotalSuccessfulLeases ?? 0) + (_localTokenBucket.GetStatistics()?.TotalSuccessfulLeases ?? 0));
            Console.WriteLine($"// local admission: {_localFactory.ServerCalls} server calls for {decisions} decisions");
        }

        foreach (var limiter in new[] { _exactFixedWindow, _localFixedWindow, _exactTokenBucket, _localTokenBucket })
        {
            limiter?.Dispose();
        }

        _metrics?.Dispose();
        _multiplexer?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Hotpath exact")]
    [BenchmarkCategory("FixedWindow")]
    public Task<bool> FixedWindowExact() => RateLimiterBenchmarks.Admit(_exactFixedWindow);

    [Benchmark(Description = "Hotpath local admission")]
    [BenchmarkCategory("FixedWindow")]
    public Task<bool> FixedWindowLocal() => RateLimiterBenchmarks.Admit(_localFixedWindow);

    [Benchmark(Baseline = true, Description = "Hotpath exact")]
    [BenchmarkCategory("TokenBucket")]
    public Task<bool> TokenBucketExact() => RateLimiterBenchmarks.Admit(_exactTokenBucket);

    [Benchmark(Description = "Hotpath local admission")]
    [BenchmarkCategory("TokenBucket")]
    public Task<bool> TokenBucketLocal() => RateLimiterBenchmarks.Admit(_localTokenBucket);
}
