using System.Diagnostics;
using System.Globalization;
using Hotpath.Benchmarks.Infrastructure;
using Hotpath.Internals;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.Benchmarks.Core;

/// <summary>
/// Backplane propagation between two instances (each its own service provider and connection, memory
/// tier on): instance B holds a key in memory, instance A writes it, and the time from A's write
/// returning to B's memory copy being gone is one sample. Not a BenchmarkDotNet suite: it measures a
/// delay across processes' worth of machinery, not a call. <c>--backplane-latency [SAMPLES]</c>.
/// </summary>
public static class BackplaneLatency
{
    public static async Task<int> RunAsync(string[] args, string artifactsPath)
    {
        var at = Array.IndexOf(args, "--backplane-latency");
        var samples = at + 1 < args.Length && int.TryParse(args[at + 1], out var n) ? n : 500;
        using var a = Instance();
        using var b = Instance();
        var cacheA = (HotpathCache)a.GetRequiredService<ICache>();
        var cacheB = (HotpathCache)b.GetRequiredService<ICache>();
        await WaitTrusted(cacheA);
        await WaitTrusted(cacheB);

        var key = $"hotpath-bench:backplane:{Guid.NewGuid():N}";
        var delays = new List<double>(samples);
        var lost = 0;
        for (var i = 0; i < samples; i++)
        {
            await cacheB.SetAsync(key, i, PeerSet.Ttl);
            await cacheA.SetAsync(key, -i, PeerSet.Ttl);
            var returned = Stopwatch.GetTimestamp();
            var probe = Stopwatch.StartNew();
            while (cacheB.Memory!.TryGet(key, Stopwatch.GetTimestamp(), out _) && probe.Elapsed < TimeSpan.FromSeconds(2))
            {
                Thread.SpinWait(20);
            }

            if (cacheB.Memory.TryGet(key, Stopwatch.GetTimestamp(), out _))
            {
                lost++;
                continue;
            }

            delays.Add(Stopwatch.GetElapsedTime(returned).TotalMilliseconds);
        }

        delays.Sort();
        var line = string.Create(CultureInfo.InvariantCulture,
            $"samples\t{delays.Count}\tlost\t{lost}\tp50_ms\t{Percentile(delays, 0.50):F3}\tp90_ms\t{Percentile(delays, 0.90):F3}\tp99_ms\t{Percentile(delays, 0.99):F3}\tmax_ms\t{delays[^1]:F3}");
        await ResultsFile.WriteAsync(artifactsPath, "backplane.tsv", [line]).ConfigureAwait(false);
        return lost == 0 ? 0 : 1;
    }

    private static ServiceProvider Instance()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHotpath(configuration: null, configure: static o => o.RedisUrl = BenchRedis.Url);
        return services.BuildServiceProvider();
    }

    private static async Task WaitTrusted(HotpathCache cache)
    {
        for (var i = 0; i < 500 && !cache.Memory!.IsTrusted; i++)
        {
            await Task.Delay(10);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
