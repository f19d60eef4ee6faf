using System.Diagnostics;
using System.Globalization;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.Core;

/// <summary>
/// An interleaved second opinion on Redis-bound hits, for a shared, noisy machine. BenchmarkDotNet
/// measures one benchmark after another, so load that comes and goes between them lands on one side
/// of a ratio. Here every round runs one block of hits per peer, in an order that rotates and reverses
/// from round to round (so neither a trend nor a position favours anyone); each round yields one
/// peer/Hotpath time ratio per peer, and the median of those ratios is reported with the spread of the
/// middle half. Calls are awaited one after another in an async loop, as a request would. Peers with a
/// memory tier take part with it switched off (their memory hits are in the BenchmarkDotNet tables).
/// Run with <c>--paired SECONDS</c> (per payload); writes <c>results/paired.tsv</c>.
/// </summary>
public static class InterleavedHitCheck
{
    private const int BlockCalls = 32;

    private static readonly Peer[] Peers = [Peer.Raw, Peer.Hotpath, Peer.Distributed, Peer.HybridL2, Peer.FusionL2];

    public static async Task<int> RunAsync(string[] args, string artifactsPath)
    {
        var seconds = double.Parse(ArgumentAfter(args, "--paired") ?? "20", CultureInfo.InvariantCulture);
        var peers = PeerSet.Shared;
        var lines = new List<string> { "payload\tpeer\trounds\ttime_ns\tratio_median\tratio_p25\tratio_p75\tbytes" };
        lines.AddRange(await MeasureAsync<Product>(peers, seconds).ConfigureAwait(false));
        lines.AddRange(await MeasureAsync<List<Product>>(peers, seconds).ConfigureAwait(false));
        var results = Path.Combine(artifactsPath, "results");
        Directory.CreateDirectory(results);
        await File.WriteAllLinesAsync(Path.Combine(results, "paired.tsv"), lines).ConfigureAwait(false);
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static async Task<IEnumerable<string>> MeasureAsync<T>(PeerSet peers, double seconds)
    {
        var blocks = new Dictionary<Peer, Func<Task>>();
        foreach (var peer in Peers)
        {
            var key = PeerSet.Key<T>("interleaved", peer);
            Seed.Hit(peers, peer, key, Payloads.Get<T>());
            blocks[peer] = () => BlockAsync<T>(peers, peer, key);
        }

        // Warm-up: JIT tiers, pools and connections settle.
        var warmUntil = Stopwatch.GetTimestamp() + (long)(Math.Min(3, seconds / 4) * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            foreach (var peer in Peers)
            {
                await blocks[peer]().ConfigureAwait(false);
            }
        }

        var times = Peers.ToDictionary(static p => p, static _ => new List<double>());
        var ratios = Peers.ToDictionary(static p => p, static _ => new List<double>());
        var bytes = Peers.ToDictionary(static p => p, static _ => 0L);
        var rounds = 0;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var round = new Dictionary<Peer, double>();
        while (Stopwatch.GetTimestamp() < until)
        {
            var order = Rotation(rounds);
            foreach (var peer in order)
            {
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                await blocks[peer]().ConfigureAwait(false);
                round[peer] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / BlockCalls;
                bytes[peer] += GC.GetTotalAllocatedBytes(precise: true) - allocated;
            }

            foreach (var peer in Peers)
            {
                times[peer].Add(round[peer]);
                ratios[peer].Add(round[peer] / round[Peer.Hotpath]);
            }

            rounds++;
        }

        var calls = (double)rounds * BlockCalls;
        return Peers.Select(peer => string.Join('\t',
            Payloads.Label<T>(),
            peer.ToString(),
            rounds.ToString(CultureInfo.InvariantCulture),
            Format(Percentile(times[peer], 0.5)),
            Format(Percentile(ratios[peer], 0.5), "0.000"),
            Format(Percentile(ratios[peer], 0.25), "0.000"),
            Format(Percentile(ratios[peer], 0.75), "0.000"),
            Format(bytes[peer] / calls)));
    }

    /// <summary>The peers rotated by the round number, reversed every other round.</summary>
    private static IEnumerable<Peer> Rotation(int round)
    {
        var rotated = Peers.Skip(round % Peers.Length).Concat(Peers.Take(round % Peers.Length));
        return (round / Peers.Length) % 2 == 0 ? rotated : rotated.Reverse();
    }

    private static async Task BlockAsync<T>(PeerSet peers, Peer peer, string key)
    {
        for (var i = 0; i < BlockCalls; i++)
        {
            var found = peer switch
            {
                Peer.Raw => await peers.Raw.GetAsync<T>(key).ConfigureAwait(false) is not null,
                Peer.Hotpath => (await peers.Hotpath.GetAsync<T>(key).ConfigureAwait(false)).Found,
                Peer.Distributed => await peers.Distributed.GetAsync<T>(key).ConfigureAwait(false) is not null,
                Peer.HybridL2 => await peers.Hybrid.GetOrCreateAsync<T>(key, static _ => throw new InvalidOperationException("HybridCache missed a hot key."), PeerSet.HybridL2Entry).ConfigureAwait(false) is not null,
                Peer.FusionL2 => (await peers.Fusion.TryGetAsync<T>(key, PeerSet.FusionL2Entry).ConfigureAwait(false)).HasValue,
                _ => throw new ArgumentOutOfRangeException(nameof(peer), peer, null),
            };
            if (!found)
            {
                throw new InvalidOperationException($"{peer} missed a hot key.");
            }
        }
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
