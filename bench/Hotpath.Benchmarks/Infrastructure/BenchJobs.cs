using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// The jobs of the suites. Everything runs in the host process (no per-benchmark build or process
/// start, which keeps the whole run within 15 minutes on 2 cores), one benchmark after another, so
/// every peer sees the same machine, the same Redis and the same noise within one run.
/// <c>HOTPATH_BENCH_QUICK=1</c> shrinks every count for a smoke run whose numbers mean nothing.
/// </summary>
public static class BenchJobs
{
    public const string QuickVariable = "HOTPATH_BENCH_QUICK";

    public static bool Quick => Environment.GetEnvironmentVariable(QuickVariable) == "1";

    /// <summary>
    /// A fixed number of calls per iteration, for cases that need fresh keys prepared before each
    /// iteration (misses) or that take milliseconds per call (stampedes). No pilot stage.
    /// </summary>
    public static Job Fixed(int invocations, int warmups, int iterations) =>
        Base("Fixed")
            .WithInvocationCount(Invocations(invocations))
            .WithUnrollFactor(1)
            .WithWarmupCount(Quick ? 1 : warmups)
            .WithIterationCount(Quick ? 3 : iterations);

    /// <summary>The calls per iteration a <see cref="Fixed"/> job of <paramref name="invocations"/> really makes.</summary>
    public static int Invocations(int invocations) => Quick ? Math.Max(1, invocations / 8) : invocations;

    /// <summary>
    /// The pilot picks the calls per iteration so one iteration takes about 100 ms. Eight warm-up
    /// iterations by default: on a loaded machine the runtime's background compiler needs that long
    /// to replace first-tier code, which otherwise shows up as a slow first case of a suite.
    /// </summary>
    public static Job Piloted(int warmups, int iterations) =>
        Base("Piloted")
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(Quick ? 25 : 100))
            .WithWarmupCount(Quick ? 1 : warmups)
            .WithIterationCount(Quick ? 3 : iterations);

    /// <summary>Only the in-process toolchain, applied to every job of the run (see <c>BenchConfig</c>).</summary>
    public static Job InProcess => new Job("InProcess").WithToolchain(InProcessEmitToolchain.Instance);

    private static Job Base(string id) =>
        new Job(id)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1);
}

/// <summary>Runs the class with <see cref="BenchJobs.Fixed"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class FixedJobAttribute(int invocations, int warmups = 3, int iterations = 10)
    : BenchmarkDotNet.Attributes.JobConfigBaseAttribute(BenchJobs.Fixed(invocations, warmups, iterations));

/// <summary>Runs the class with <see cref="BenchJobs.Piloted"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class PilotedJobAttribute(int warmups = 8, int iterations = 10)
    : BenchmarkDotNet.Attributes.JobConfigBaseAttribute(BenchJobs.Piloted(warmups, iterations));
