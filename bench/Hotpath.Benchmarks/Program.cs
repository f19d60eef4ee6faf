using BenchmarkDotNet.Running;
using Hotpath.Benchmarks.Core;
using Hotpath.Benchmarks.Infrastructure;
using Hotpath.Benchmarks.RateLimiting;

// Runs the suites named by --filter (all by default) in this process against HOTPATH_BENCH_REDIS,
// or, with --paired SECONDS, the interleaved hit check of the Redis-bound peers (see InterleavedHitCheck),
// or, with --alloc-profile [CALLS], the sampled allocations of a hit by type (see AllocationProfile),
// or, with --backplane-latency [SAMPLES], the propagation delay between two instances (see BackplaneLatency),
// or, with --paired-ratelimit SECONDS, the interleaved check of rate-limit decisions (see InterleavedRateLimiterCheck).
// bench/run.sh starts a Redis, runs both in Release and rewrites docs/benchmarks.md from the results.
var artifacts = Path.GetFullPath(ArgumentValue(args, "--artifacts") ?? "BenchmarkDotNet.Artifacts");
if (args.Contains(InterleavedRateLimiterCheck.Option))
{
    return await InterleavedRateLimiterCheck.RunAsync(args, artifacts);
}

if (args.Contains("--paired") || args.Contains("--alloc-profile") || args.Contains("--backplane-latency"))
{
    try
    {
        return args.Contains("--paired") ? await InterleavedHitCheck.RunAsync(args, artifacts)
            : args.Contains("--backplane-latency") ? await BackplaneLatency.RunAsync(args, artifacts)
            : await AllocationProfile.RunAsync(args, artifacts);
    }
    finally
    {
        PeerSet.DisposeShared();
    }
}

HostInfo.Begin();
try
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create(artifacts));
    return summaries.Any(static s => s.HasCriticalValidationErrors || s.Reports.Any(static r => !r.Success)) ? 1 : 0;
}
finally
{
    var results = Path.Combine(artifacts, "results");
    CaseLog.WriteTo(Path.Combine(results, "observations.tsv"));
    HostInfo.End(results);
    PeerSet.DisposeShared();
}

static string? ArgumentValue(string[] args, string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
