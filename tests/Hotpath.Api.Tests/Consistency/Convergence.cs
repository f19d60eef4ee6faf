using System.Diagnostics;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>
/// One product's version as one read on one instance saw it. A read of a list (the featured list, a
/// page) gives one observation per product it covers; a featured read that lacks a product which every
/// write marks featured saw the seeded row (<see cref="Workload.Seed"/>).
/// </summary>
internal readonly record struct Observation(int Instance, string Endpoint, int Product, long Version, long Start, long End, bool FromCache)
{
    public Operation AsRead() => new(OperationKind.Read, Product, Version, Start, End, Succeeded: true, FromCache);
}

/// <summary>What <see cref="Convergence.Check"/> found.</summary>
/// <param name="WriterStale">Reads on the writing instance that began after a newer write had returned: none may exist.</param>
/// <param name="LateStale">Reads on another instance that began more than the bound after a newer write had returned: none may exist.</param>
/// <param name="Impossible">Reads of a version no write had started by the time the read ended.</param>
/// <param name="Delays">
/// For every completed write and every other instance, how long after the write returned that instance
/// served the new version (or a newer one) from then on: the end of its first such read that began
/// after the last read of an older version began (0 when a read that was already under way returned it).
/// </param>
/// <param name="Unmeasured">
/// Write and instance pairs not measured: no read of the instance had begun when the write returned, or
/// none returned the new version afterwards (the run ended first).
/// </param>
internal sealed record ConvergenceReport(
    IReadOnlyList<StaleRead> WriterStale,
    IReadOnlyList<StaleRead> LateStale,
    IReadOnlyList<ImpossibleRead> Impossible,
    IReadOnlyList<(int Instance, TimeSpan Delay)> Delays,
    int Unmeasured)
{
    /// <summary>The <paramref name="fraction"/> percentile (nearest rank) of the delays, over all instances or one.</summary>
    public TimeSpan Percentile(double fraction, int? instance = null)
    {
        var sorted = Delays.Where(d => instance is null || d.Instance == instance).Select(d => d.Delay).Order().ToArray();
        if (sorted.Length == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Checks a many-instance history: one writing instance, every instance reading. On the writing
/// instance no read that began after a write returned shows an older version; on every other instance
/// no read that began more than <c>bound</c> after a write returned does. Writes follow
/// <see cref="History"/>'s rules (one writer per product, increasing versions).
/// </summary>
internal static class Convergence
{
    public static ConvergenceReport Check(IReadOnlyList<Operation> writes, IReadOnlyList<Observation> reads, int writer, TimeSpan bound)
    {
        var writerStale = new List<StaleRead>();
        var lateStale = new List<StaleRead>();
        var impossible = new List<ImpossibleRead>();
        foreach (var instance in reads.GroupBy(r => r.Instance))
        {
            var report = History.Check(writes.Concat(instance.Select(r => r.AsRead())));
            impossible.AddRange(report.Impossible);
            if (instance.Key == writer)
            {
                writerStale.AddRange(report.Stale);
            }
            else
            {
                lateStale.AddRange(report.Stale.Where(s => s.Behind > bound));
            }
        }

        var delays = new List<(int, TimeSpan)>();
        var unmeasured = 0;
        var byInstanceAndProduct = reads
            .Where(r => r.Instance != writer)
            .GroupBy(r => (r.Instance, r.Product))
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Start).ToArray());
        foreach (var write in writes.Where(w => w.Succeeded && w.Version != Workload.Seed))
        {
            foreach (var ((instance, product), ordered) in byInstanceAndProduct)
            {
                if (product != write.Product)
                {
                    continue;
                }

                // Only while the instance was being read: a write before its first read has nothing to measure against.
                if (ordered[0].Start > write.End)
                {
                    unmeasured++;
                    continue;
                }

                // Reads still under way or later when the write returned; the last of them to begin with an older version.
                var after = ordered.Where(r => r.End > write.End).ToArray();
                var lastOld = Array.FindLastIndex(after, r => r.Version < write.Version);
                var firstNewEnd = after.Skip(lastOld + 1).Where(r => r.Version >= write.Version).Select(r => r.End).DefaultIfEmpty(long.MaxValue).Min();
                if (firstNewEnd == long.MaxValue)
                {
                    unmeasured++;
                    continue;
                }

                var delay = firstNewEnd <= write.End ? TimeSpan.Zero : Stopwatch.GetElapsedTime(write.End, firstNewEnd);
                delays.Add((instance, delay));
            }
        }

        return new ConvergenceReport(writerStale, lateStale, impossible, delays, unmeasured);
    }
}
