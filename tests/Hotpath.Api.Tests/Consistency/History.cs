using System.Diagnostics;

namespace Hotpath.Api.Tests.Consistency;

internal enum OperationKind : byte
{
    Read,
    Write,
}

/// <summary>
/// One operation of a history: what it did to which product, when it started and ended (Stopwatch
/// timestamps, taken just before the request went out and just after its body was read), and whether
/// it succeeded. For a read, <see cref="Version"/> is the version it returned; for a write, the one it wrote.
/// </summary>
internal readonly record struct Operation(OperationKind Kind, int Product, long Version, long Start, long End, bool Succeeded, bool FromCache = false);

/// <summary>
/// A read that returned an older version than a write that had completed before the read began;
/// <see cref="Superseding"/> is the first completed write newer than what the read returned, and
/// <see cref="Behind"/> how long after it returned the read began.
/// </summary>
internal readonly record struct StaleRead(Operation Read, long NewestCompletedVersion, Operation Superseding, TimeSpan Behind);

/// <summary>A read that returned a version no write had even started when the read ended, or never wrote.</summary>
internal readonly record struct ImpossibleRead(Operation Read, string Reason);

/// <summary>What <see cref="History.Check"/> found.</summary>
internal sealed record HistoryReport(
    int Operations,
    int Reads,
    int FailedReads,
    int CacheHits,
    int Writes,
    int FailedWrites,
    IReadOnlyList<StaleRead> Stale,
    IReadOnlyList<ImpossibleRead> Impossible)
{
    /// <summary>Reads that were answered and writes that completed.</summary>
    public int Succeeded => Reads - FailedReads + Writes - FailedWrites;

    /// <summary>How long after the superseding write had completed the stalest read began; zero without stale reads.</summary>
    public TimeSpan MaxStaleness => Stale.Count == 0 ? TimeSpan.Zero : Stale.Max(s => s.Behind);
}

/// <summary>
/// Checks a history of reads and writes on a few products for one property: a successful read never
/// returns a version older than the newest write on that product that had completed (returned
/// success) before the read began. Each product has one writer writing strictly increasing versions,
/// so the newest completed write is the completed write with the latest end before the read's start.
/// A write that failed may or may not have reached the database: it never counts as completed, and a
/// read may return its version.
/// </summary>
internal static class History
{
    public static HistoryReport Check(IEnumerable<Operation> operations)
    {
        var all = operations.ToList();
        var stale = new List<StaleRead>();
        var impossible = new List<ImpossibleRead>();
        foreach (var product in all.GroupBy(o => o.Product))
        {
            var writes = product.Where(o => o.Kind == OperationKind.Write).ToList();
            var completed = writes.Where(w => w.Succeeded).OrderBy(w => w.End).ToArray();
            var ends = completed.Select(w => w.End).ToArray();
            var startOf = writes.GroupBy(w => w.Version).ToDictionary(g => g.Key, g => g.Min(w => w.Start));
            for (var i = 1; i < completed.Length; i++)
            {
                if (completed[i].Version <= completed[i - 1].Version)
                {
                    throw new InvalidOperationException($"Product {product.Key} has completed writes out of version order: one writer per product must write increasing versions.");
                }
            }

            foreach (var read in product.Where(o => o.Kind == OperationKind.Read && o.Succeeded))
            {
                if (!startOf.TryGetValue(read.Version, out var writeStart))
                {
                    impossible.Add(new ImpossibleRead(read, "no write wrote this version"));
                    continue;
                }

                if (writeStart >= read.End)
                {
                    impossible.Add(new ImpossibleRead(read, "the write of this version started after the read ended"));
                    continue;
                }

                // The completed writes that ended strictly before the read started.
                var before = UpperBound(ends, read.Start - 1);
                if (before == 0)
                {
                    continue;
                }

                var newest = completed[before - 1];
                if (read.Version < newest.Version)
                {
                    var superseding = completed.First(w => w.Version > read.Version);
                    stale.Add(new StaleRead(read, newest.Version, superseding, Stopwatch.GetElapsedTime(superseding.End, read.Start)));
                }
            }
        }

        var reads = all.Where(o => o.Kind == OperationKind.Read).ToList();
        var writesAll = all.Where(o => o.Kind == OperationKind.Write).ToList();
        return new HistoryReport(
            all.Count,
            reads.Count,
            reads.Count(r => !r.Succeeded),
            reads.Count(r => r.Succeeded && r.FromCache),
            writesAll.Count,
            writesAll.Count(w => !w.Succeeded),
            stale,
            impossible);
    }

    /// <summary>How many of the sorted <paramref name="values"/> are at most <paramref name="limit"/>.</summary>
    private static int UpperBound(long[] values, long limit)
    {
        int low = 0, high = values.Length;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (values[mid] <= limit)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
