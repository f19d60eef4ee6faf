using System.Globalization;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.RateLimiting;

/// <summary>
/// An interleaved second opinion on rate-limit decisions (see <see cref="Interleaved"/> for the method):
/// for each algorithm, RedisRateLimiting's decision time as a ratio to Hotpath's, round by round, on
/// the limiters of <see cref="RateLimiterBenchmarks"/> (same server, same multiplexer, every decision
/// admitted). Run with <c>--paired-ratelimit SECONDS</c> (per algorithm); writes
/// <c>results/paired-ratelimit.tsv</c>.
/// </summary>
public static class InterleavedRateLimiterCheck
{
    public const string Option = "--paired-ratelimit";

    private const int BlockCalls = 16;

    public static async Task<int> RunAsync(string[] args, string artifactsPath)
    {
        var seconds = double.Parse(Interleaved.ArgumentAfter(args, Option) ?? "10", CultureInfo.InvariantCulture);
        var bench = new RateLimiterBenchmarks();
        bench.Setup();
        try
        {
            var lines = new List<string> { "algorithm\tlimiter\t" + Interleaved.ColumnsHeader };
            foreach (var (algorithm, hotpath, peer) in bench.Pairs)
            {
                var hotpathSide = new Interleaved.Side("Hotpath", () => BlockAsync(hotpath));
                var peerSide = new Interleaved.Side("RedisRateLimiting", () => BlockAsync(peer));
                var results = await Interleaved.MeasureAsync([hotpathSide, peerSide], hotpathSide, BlockCalls, seconds).ConfigureAwait(false);
                lines.AddRange(results.Select(r => $"{algorithm}\t{r.Name}\t{r.Columns()}"));
            }

            await ResultsFile.WriteAsync(artifactsPath, "paired-ratelimit.tsv", lines).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private static async Task BlockAsync(System.Threading.RateLimiting.RateLimiter limiter)
    {
        for (var i = 0; i < BlockCalls; i++)
        {
            await RateLimiterBenchmarks.Admit(limiter).ConfigureAwait(false);
        }
    }
}
