using System.Diagnostics;
using System.Globalization;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// Interleaved measurement for a shared, noisy machine. BenchmarkDotNet measures one benchmark after
/// another, so load that comes and goes between them lands on one side of a ratio. Here every round
/// runs one block of calls per side, in an order that rotates and reverses from round to round (so
/// neither a trend nor a position favours anyone); each round yields one side/baseline time ratio per
/// side, and the median of those ratios is reported with the spread of the middle half.
/// </summary>
public static class Interleaved
{
    /// <summary>One contender: a name and a block that makes a fixed number of awaited calls.</summary>
    public sealed record Side(string Name, Func<Task> Block);

    /// <summary>What one side measured: time per call (median of rounds), its ratio to the baseline side, and bytes per call.</summary>
    public sealed record Result(string Name, int Rounds, double TimeNs, double RatioMedian, double RatioP25, double RatioP75, double BytesPerCall)
    {
        /// <summary>The tab-separated columns after the caller's own: rounds, time, the three ratios, bytes.</summary>
        public string Columns() => string.Join('\t',
            Rounds.ToString(CultureInfo.InvariantCulture),
            Format(TimeNs),
            Format(RatioMedian, "0.000"),
            Format(RatioP25, "0.000"),
            Format(RatioP75, "0.000"),
            Format(BytesPerCall));
    }

    /// <summary>The header of <see cref="Result.Columns"/>.</summary>
    public const string ColumnsHeader = "rounds\ttime_ns\tratio_median\tratio_p25\tratio_p75\tbytes";

    /// <summary>
    /// Warms every side up, then runs rounds until <paramref name="seconds"/> have passed.
    /// </summary>
    /// <param name="sides">The contenders; each block makes <paramref name="blockCalls"/> calls.</param>
    /// <param name="baseline">The side the ratios divide by.</param>
    /// <param name="blockCalls">Calls per block, to turn a block's time into a time per call.</param>
    /// <param name="seconds">How long to measure, after a warm-up of a quarter of it (at most 3 s).</param>
    public static async Task<IReadOnlyList<Result>> MeasureAsync(IReadOnlyList<Side> sides, Side baseline, int blockCalls, double seconds)
    {
        var warmUntil = Stopwatch.GetTimestamp() + (long)(Math.Min(3, seconds / 4) * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            foreach (var side in sides)
            {
                await side.Block().ConfigureAwait(false);
            }
        }

        var times = sides.ToDictionary(static s => s, static _ => new List<double>());
        var ratios = sides.ToDictionary(static s => s, static _ => new List<double>());
        var bytes = sides.ToDictionary(static s => s, static _ => 0L);
        var round = new Dictionary<Side, double>();
        var rounds = 0;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            foreach (var side in Rotation(sides, rounds))
            {
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                await side.Block().ConfigureAwait(false);
                round[side] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / blockCalls;
                bytes[side] += GC.GetTotalAllocatedBytes(precise: true) - allocated;
            }

            foreach (var side in sides)
            {
                times[side].Add(round[side]);
                ratios[side].Add(round[side] / round[baseline]);
            }

            rounds++;
        }

        var calls = (double)rounds * blockCalls;
        return [.. sides.Select(side => new Result(
            side.Name,
            rounds,
            Percentile(times[side], 0.5),
            Percentile(ratios[side], 0.5),
            Percentile(ratios[side], 0.25),
            Percentile(ratios[side], 0.75),
            bytes[side] / calls))];
    }

    /// <summary>The value after <paramref name="name"/> on the command line, unless it is another option.</summary>
    public static string? ArgumentAfter(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && !args[at + 1].StartsWith("--", StringComparison.Ordinal) ? args[at + 1] : null;
    }

    /// <summary>The sides rotated by the round number, reversed every other pass.</summary>
    private static IEnumerable<Side> Rotation(IReadOnlyList<Side> sides, int round)
    {
        var shift = round % sides.Count;
        var rotated = sides.Skip(shift).Concat(sides.Take(shift));
        return (round / sides.Count) % 2 == 0 ? rotated : rotated.Reverse();
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var position = p * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
    }

    private static string Format(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}
