using System.Globalization;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.Core;

/// <summary>
/// An interleaved second opinion on Redis-bound hits (see <see cref="Interleaved"/> for the method):
/// each peer's hit time as a ratio to Hotpath's, round by round. Calls are awaited one after another
/// in an async loop, as a request would. Peers with a memory tier take part with it switched off
/// (their memory hits are in the BenchmarkDotNet tables).
/// Run with <c>--paired SECONDS</c> (per payload); writes <c>results/paired.tsv</c>.
/// </summary>
public static class InterleavedHitCheck
{
    private const int BlockCalls = 32;

    private static readonly Peer[] Peers = [Peer.Raw, Peer.Hotpath, Peer.Distributed, Peer.HybridL2, Peer.FusionL2];

    public static async Task<int> RunAsync(string[] args, string artifactsPath)
    {
        var seconds = double.Parse(Interleaved.ArgumentAfter(args, "--paired") ?? "20", CultureInfo.InvariantCulture);
        var peers = PeerSet.Shared;
        var lines = new List<string> { "payload\tpeer\t" + Interleaved.ColumnsHeader };
        lines.AddRange(await MeasureAsync<Product>(peers, seconds).ConfigureAwait(false));
        lines.AddRange(await MeasureAsync<List<Product>>(peers, seconds).ConfigureAwait(false));
        await ResultsFile.WriteAsync(artifactsPath, "paired.tsv", lines).ConfigureAwait(false);
        return 0;
    }

    private static async Task<IEnumerable<string>> MeasureAsync<T>(PeerSet peers, double seconds)
    {
        var sides = new List<Interleaved.Side>();
        foreach (var peer in Peers)
        {
            var key = PeerSet.Key<T>("interleaved", peer);
            Seed.Hit(peers, peer, key, Payloads.Get<T>());
            sides.Add(new Interleaved.Side(peer.ToString(), () => BlockAsync<T>(peers, peer, key)));
        }

        var results = await Interleaved.MeasureAsync(sides, sides[Array.IndexOf(Peers, Peer.Hotpath)], BlockCalls, seconds).ConfigureAwait(false);
        return results.Select(static r => $"{Payloads.Label<T>()}\t{r.Name}\t{r.Columns()}");
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
}
