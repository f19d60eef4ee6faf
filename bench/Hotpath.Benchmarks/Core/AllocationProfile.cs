using System.Diagnostics.Tracing;
using System.Globalization;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.Core;

/// <summary>
/// Where a hit's bytes go, by type: runs many floor hits, then many Hotpath hits, with the runtime's
/// allocation sampling on (one <c>GCAllocationTick</c> event per ~100 KB allocated, naming the type
/// that crossed the mark) and prints each side's sampled bytes per type, scaled to bytes per call.
/// A sample, not an exact count: types under ~1% of the bytes are noise. Run with
/// <c>--alloc-profile [CALLS]</c>; writes <c>results/alloc-profile.tsv</c>.
/// </summary>
public static class AllocationProfile
{
    public static async Task<int> RunAsync(string[] args, string artifactsPath)
    {
        var at = Array.IndexOf(args, "--alloc-profile");
        var calls = at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var n) ? n : 200_000;
        var peers = PeerSet.Shared;
        var lines = new List<string> { "payload\tside\ttype\tbytes_per_call\tshare" };
        lines.AddRange(await ProfileAsync<Product>(peers, calls).ConfigureAwait(false));
        lines.AddRange(await ProfileAsync<List<Product>>(peers, Math.Max(1, calls / 20)).ConfigureAwait(false));
        await ResultsFile.WriteAsync(artifactsPath, "alloc-profile.tsv", lines).ConfigureAwait(false);
        return 0;
    }

    private static async Task<IEnumerable<string>> ProfileAsync<T>(PeerSet peers, int calls)
    {
        var rawKey = PeerSet.Key<T>("alloc", Peer.Raw);
        var hotpathKey = PeerSet.Key<T>("alloc", Peer.Hotpath);
        Seed.Hit(peers, Peer.Raw, rawKey, Payloads.Get<T>());
        Seed.Hit(peers, Peer.Hotpath, hotpathKey, Payloads.Get<T>());
        for (var i = 0; i < 2000; i++)
        {
            await peers.Raw.GetAsync<T>(rawKey).ConfigureAwait(false);
            await peers.Hotpath.GetAsync<T>(hotpathKey).ConfigureAwait(false);
        }

        var floor = await SampleAsync(calls, async () => await peers.Raw.GetAsync<T>(rawKey).ConfigureAwait(false)).ConfigureAwait(false);
        var hotpath = await SampleAsync(calls, async () => await peers.Hotpath.GetAsync<T>(hotpathKey).ConfigureAwait(false)).ConfigureAwait(false);
        return Describe(Payloads.Label<T>(), "floor", floor, calls).Concat(Describe(Payloads.Label<T>(), "hotpath", hotpath, calls));
    }

    private static async Task<(Dictionary<string, long> ByType, long Total)> SampleAsync(int calls, Func<Task> call)
    {
        using var listener = new AllocationListener();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < calls; i++)
        {
            await call().ConfigureAwait(false);
        }

        var total = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (listener.Snapshot(), total);
    }

    private static IEnumerable<string> Describe(string payload, string side, (Dictionary<string, long> ByType, long Total) sample, int calls)
    {
        var sampled = Math.Max(1, sample.ByType.Values.Sum());
        var perCall = (double)sample.Total / calls;
        yield return string.Create(CultureInfo.InvariantCulture, $"{payload}\t{side}\t(total, exact)\t{perCall:0.0}\t1.000");
        foreach (var (type, bytes) in sample.ByType.OrderByDescending(static p => p.Value).Take(15))
        {
            var share = (double)bytes / sampled;
            yield return string.Create(CultureInfo.InvariantCulture, $"{payload}\t{side}\t{type}\t{share * perCall:0.0}\t{share:0.000}");
        }
    }

    private sealed class AllocationListener : EventListener
    {
        private const int AllocationTickEventId = 10;
        private readonly Dictionary<string, long> _byType = new(StringComparer.Ordinal);

        public Dictionary<string, long> Snapshot()
        {
            lock (_byType)
            {
                return new Dictionary<string, long>(_byType, StringComparer.Ordinal);
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                // GC keyword (0x1) at verbose level turns on the allocation tick.
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventId != AllocationTickEventId || eventData.Payload is null || eventData.PayloadNames is null)
            {
                return;
            }

            var typeName = eventData.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string : null;
            var amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
            var amount = amountIndex >= 0 ? Convert.ToInt64(eventData.Payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
            lock (_byType)
            {
                var key = typeName ?? "?";
                _byType[key] = _byType.GetValueOrDefault(key) + amount;
            }
        }
    }
}
