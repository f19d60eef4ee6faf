using BenchmarkDotNet.Attributes;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.Peers;

/// <summary>
/// The cache-aside miss path on a key never written before: a read that misses, then a write of the
/// value. Peers with a read API do exactly that (two round trips); HybridCache has no plain read, so
/// its row is <c>GetOrCreateAsync</c> on the cold key, whose factory returns the value (the same L2
/// read and write). Keys are made before each iteration and removed after it. Baseline: Hotpath.
/// </summary>
[MemoryDiagnoser]
[FixedJob(invocations: Invocations, warmups: 2, iterations: 10)]
[GenericTypeArguments(typeof(Product))]
[GenericTypeArguments(typeof(List<Product>))]
public class PeerMissSetBenchmarks<T>
{
    public const int Invocations = 256;

    private const string Suite = "missset";

    // BenchmarkDotNet runs a generated subclass, so GetType() would not name this class.
    private static readonly Type Self = typeof(PeerMissSetBenchmarks<T>);

    private readonly MissKeys _keys = new(Suite, BenchJobs.Invocations(Invocations));
    private PeerSet _peers = null!;
    private T _value = default!;
    private long _faultsAtSetup;

    [GlobalSetup]
    public void Setup()
    {
        _peers = PeerSet.Shared;
        _faultsAtSetup = _peers.HotpathFaults;
        _value = Payloads.Get<T>();
    }

    [GlobalCleanup]
    public void Cleanup() => Seed.CheckHotpathFaults(_peers, Self, _faultsAtSetup);

    [IterationSetup]
    public void NewKeys() => _keys.Next();

    [IterationCleanup(Target = nameof(Raw))]
    public void RemoveRaw() => _keys.Remove(_peers, Peer.Raw);

    [IterationCleanup(Target = nameof(Hotpath))]
    public void RemoveHotpath() => _keys.Remove(_peers, Peer.Hotpath);

    [IterationCleanup(Target = nameof(Distributed))]
    public void RemoveDistributed() => _keys.Remove(_peers, Peer.Distributed);

    [IterationCleanup(Target = nameof(Hybrid))]
    public void RemoveHybrid() => _keys.Remove(_peers, Peer.Hybrid);

    [IterationCleanup(Target = nameof(HybridL2))]
    public void RemoveHybridL2() => _keys.Remove(_peers, Peer.HybridL2);

    [IterationCleanup(Target = nameof(Fusion))]
    public void RemoveFusion() => _keys.Remove(_peers, Peer.Fusion);

    [IterationCleanup(Target = nameof(FusionL2))]
    public void RemoveFusionL2() => _keys.Remove(_peers, Peer.FusionL2);

    [Benchmark(Description = "SE.Redis + STJ (floor)")]
    public async Task Raw()
    {
        var key = _keys.Take(Peer.Raw);
        if (await _peers.Raw.GetAsync<T>(key).ConfigureAwait(false) is not null)
        {
            Unexpected(nameof(Raw));
        }

        await _peers.Raw.SetAsync(key, _value, PeerSet.Ttl).ConfigureAwait(false);
    }

    [Benchmark(Baseline = true, Description = "Hotpath")]
    public async Task Hotpath()
    {
        var key = _keys.Take(Peer.Hotpath);
        if ((await _peers.Hotpath.GetAsync<T>(key).ConfigureAwait(false)).Found)
        {
            Unexpected(nameof(Hotpath));
        }

        await _peers.Hotpath.SetAsync(key, _value, PeerSet.Ttl).ConfigureAwait(false);
    }

    [Benchmark(Description = "IDistributedCache")]
    public async Task Distributed()
    {
        var key = _keys.Take(Peer.Distributed);
        if (await _peers.Distributed.GetAsync<T>(key).ConfigureAwait(false) is not null)
        {
            Unexpected(nameof(Distributed));
        }

        await _peers.Distributed.SetAsync(key, _value).ConfigureAwait(false);
    }

    [Benchmark(Description = "HybridCache (L1+L2)")]
    public ValueTask<T> Hybrid() =>
        _peers.Hybrid.GetOrCreateAsync(_keys.Take(Peer.Hybrid), _value, static (value, ct) => ValueTask.FromResult(value), PeerSet.HybridEntry);

    [Benchmark(Description = "HybridCache (L2 only)")]
    public ValueTask<T> HybridL2() =>
        _peers.Hybrid.GetOrCreateAsync(_keys.Take(Peer.HybridL2), _value, static (value, ct) => ValueTask.FromResult(value), PeerSet.HybridL2Entry);

    [Benchmark(Description = "FusionCache (L1+L2)")]
    public async Task Fusion()
    {
        var key = _keys.Take(Peer.Fusion);
        if ((await _peers.Fusion.TryGetAsync<T>(key, PeerSet.FusionEntry).ConfigureAwait(false)).HasValue)
        {
            Unexpected(nameof(Fusion));
        }

        await _peers.Fusion.SetAsync(key, _value, PeerSet.FusionEntry).ConfigureAwait(false);
    }

    [Benchmark(Description = "FusionCache (L2 only)")]
    public async Task FusionL2()
    {
        var key = _keys.Take(Peer.FusionL2);
        if ((await _peers.Fusion.TryGetAsync<T>(key, PeerSet.FusionL2Entry).ConfigureAwait(false)).HasValue)
        {
            Unexpected(nameof(FusionL2));
        }

        await _peers.Fusion.SetAsync(key, _value, PeerSet.FusionL2Entry).ConfigureAwait(false);
    }

    private void Unexpected(string method) => CaseLog.Unexpected(Self, method, "hit on a fresh key");
}
