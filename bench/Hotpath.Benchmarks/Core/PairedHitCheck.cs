using System.Diagnostics;
using System.Globalization;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.Core;

/// <summary>
/// An interleaved second opinion on the issue-2 hit target, for a shared, noisy machine. BenchmarkDotNet
/// measures one benchmark after another, so load that comes and goes between them lands on one side of a
/// ratio. Here blocks of floor and Hotpath hits alternate (ABBA order, so a trend cancels out), every
/// round yields one Hotpath/floor time ratio, and the median of those ratios is reported with the
/// spread of the middle half. Calls are awaited one after another in an async loop, as a request would.
/// Run with <c>--paired SECONDS</c> (per payload); writes <c>results/paired.tsv</c>.
/// </summary>
public static class PairedHitCheck
{
    private const int BlockCalls = 64;

    public static async Task<int> RunAsync(string[] args, string artifactsPath)
    {
        var seconds = double.Parse(ArgumentAfter(args, "--paired") ?? "20", CultureInfo.InvariantCulture);
        var peers = PeerSet.Shared;
        var lines = new List<string> { "payload\trounds\tfloor_ns\thotpath_ns\tratio_median\tratio_p25\tratio_p75\tfloor_bytes\thotpath_bytes\textra_bytes" };
        lines.Add(await MeasureAsync<Product>(peers, seconds).ConfigureAwait(false));
        lines.Add(await MeasureAsync<List<Product>>(peers, seconds).ConfigureAwait(false));
        var results = Path.Combine(artifactsPath, "results");
        Directory.CreateDirectory(results);
        await File.WriteAllLinesAsync(Path.Combine(results, "paired.tsv"), lines).ConfigureAwait(false);
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static async Task<string> MeasureAsync<T>(PeerSet peers, double seconds)
    {
        var rawKey = PeerSet.Key<T>("paired", Peer.Raw);
        var hotpathKey = PeerSet.Key<T>("paired", Peer.Hotpath);
        Seed.Hit(peers, Peer.Raw, rawKey, Payloads.Get<T>());
        Seed.Hit(peers, Peer.Hotpath, hotpathKey, Payloads.Get<T>());

        // Warm-up: JIT tiers, pools and the connections settle.
        var warmUntil = Stopwatch.GetTimestamp() + (long)(Math.Min(3, seconds / 4) * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            await RawBlockAsync<T>(peers, rawKey).ConfigureAwait(false);
            await HotpathBlockAsync<T>(peers, hotpathKey).ConfigureAwait(false);
        }

        var ratios = new List<double>();
        var floorTimes = new List<double>();
        var hotpathTimes = new List<double>();
        long floorBytes = 0, hotpathBytes = 0, floorCalls = 0, hotpathCalls = 0;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (var round = 0; Stopwatch.GetTimestamp() < until; round++)
        {
            var floorFirst = round % 4 is 0 or 3;
            (double Ns, long Bytes) floor, hotpath;
            if (floorFirst)
            {
                floor = await Timed(() => RawBlockAsync<T>(peers, rawKey)).ConfigureAwait(false);
                hotpath = await Timed(() => HotpathBlockAsync<T>(peers, hotpathKey)).ConfigureAwait(false);
            }
            else
            {
                hotpath = await Timed(() => HotpathBlockAsync<T>(peers, hotpathKey)).ConfigureAwait(false);
                floor = await Timed(() => RawBlockAsync<T>(peers, rawKey)).ConfigureAwait(false);
            }

            floorTimes.Add(floor.Ns / BlockCalls);
            hotpathTimes.Add(hotpath.Ns / BlockCalls);
            ratios.Add(hotpath.Ns / floor.Ns);
            floorBytes += floor.Bytes;
            hotpathBytes += hotpath.Bytes;
            floorCalls += BlockCalls;
            hotpathCalls += BlockCalls;
        }

        var floorPerCall = (double)floorBytes / floorCalls;
        var hotpathPerCall = (double)hotpathBytes / hotpathCalls;
        return string.Join('\t',
            Payloads.Label<T>(),
            ratios.Count.ToString(CultureInfo.InvariantCulture),
            Format(Percentile(floorTimes, 0.5)),
            Format(Percentile(hotpathTimes, 0.5)),
            Format(Percentile(ratios, 0.5), "0.000"),
            Format(Percentile(ratios, 0.25), "0.000"),
            Format(Percentile(ratios, 0.75), "0.000"),
            Format(floorPerCall),
            Format(hotpathPerCall),
            Format(hotpathPerCall - floorPerCall));
    }

    private static async Task RawBlockAsync<T>(PeerSet peers, string key)
    {
        for (var i = 0; i < BlockCalls; i++)
        {
            if (await peers.Raw.GetAsync<T>(key).ConfigureAwait(false) is null)
            {
                throw new InvalidOperationException("The floor missed a hot key.");
            }
        }
    }

    private static async Task HotpathBlockAsync<T>(PeerSet peers, string key)
    {
        for (var i = 0; i < BlockCalls; i++)
        {
            if (!(await peers.Hotpath.GetAsync<T>(key).ConfigureAwait(false)).Found)
            {
                throw new InvalidOperationException("Hotpath missed a hot key.");
            }
        }
    }

    private static async Task<(double Ns, long Bytes)> Timed(Func<Task> block)
    {
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        await block().ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return (elapsed.TotalNanoseconds, GC.GetTotalAllocatedBytes(precise: true) - bytes);
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

    private static string? ArgumentAfter(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && !args[at + 1].StartsWith("--", StringComparison.Ordinal) ? args[at + 1] : null;
    }
}
