using BenchmarkDotNet.Attributes;
using Hotpath.Benchmarks.Infrastructure;
using Microsoft.Extensions.Caching.Hybrid;
using ZiggyCreatures.Caching.Fusion;

namespace Hotpath.Benchmarks.Peers;

/// <summary>
/// A hit on a key written before the run, through each peer's read API. The rows with a memory tier
/// (HybridCache and FusionCache "L1+L2") answer from process memory; the "L2 only" rows and the rest
/// make one Redis round trip. Baseline: Hotpath.
/// </summary>
[MemoryDiagnoser]
[PilotedJob]
[GenericTypeArguments(typeof(Product))]
[GenericTypeArguments(typeof(List<Product>))]
public class PeerHitBenchmarks<T>
{
    private const string Suite = "hit";

    // BenchmarkDotNet runs a generated subclass, so GetType() would not name this class.
    private static readonly Type Self = typeof(PeerHitBenchmarks<T>);

    private readonly Dictionary<Peer, string> _keys = [];
    private PeerSet _peers = null!;
    private string _raw = string.Empty;
    private string _hotpath = string.Empty;
    private string _distributed = string.Empty;
    private string _hybrid = string.Empty;
    private string _hybridL2 = string.Empty;
    private string _fusion = string.Empty;
    private string _fusionL2 = string.Empty;
    private long _faultsAtSetup;

    [GlobalSetup]
    public void Setup()
    {
        _peers = PeerSet.Shared;
        _faultsAtSetup = _peers.HotpathFaults;
        var value = Payloads.Get<T>();
        foreach (var peer in Enum.GetValues<Peer>())
        {
            _keys[peer] = PeerSet.Key<T>(Suite, peer);
            Seed.Hit(_peers, peer, _keys[peer], value);
        }

        (_raw, _hotpath, _distributed) = (_keys[Peer.Raw], _keys[Peer.Hotpath], _keys[Peer.Distributed]);
        (_hybrid, _hybridL2, _fusion, _fusionL2) = (_keys[Peer.Hybrid], _keys[Peer.HybridL2], _keys[Peer.Fusion], _keys[Peer.FusionL2]);
    }

    [GlobalCleanup]
    public void Cleanup() => Seed.CheckHotpathFaults(_peers, Self, _faultsAtSetup);

    [Benchmark(Description = "SE.Redis + STJ (floor)")]
    public Task<T?> Raw() => _peers.Raw.GetAsync<T>(_raw);

    [Benchmark(Baseline = true, Description = "Hotpath")]
    public ValueTask<CacheResult<T>> Hotpath() => _peers.Hotpath.GetAsync<T>(_hotpath);

    [Benchmark(Description = "IDistributedCache")]
    public Task<T?> Distributed() => _peers.Distributed.GetAsync<T>(_distributed);

    [Benchmark(Description = "HybridCache (L1+L2)")]
    public ValueTask<T> Hybrid() => _peers.Hybrid.GetOrCreateAsync(_hybrid, this, static (self, ct) => self.FactoryOnHit(nameof(Hybrid)), PeerSet.HybridEntry);

    [Benchmark(Description = "HybridCache (L2 only)")]
    public ValueTask<T> HybridL2() => _peers.Hybrid.GetOrCreateAsync(_hybridL2, this, static (self, ct) => self.FactoryOnHit(nameof(HybridL2)), PeerSet.HybridL2Entry);

    [Benchmark(Description = "FusionCache (L1+L2)")]
    public ValueTask<MaybeValue<T>> Fusion() => _peers.Fusion.TryGetAsync<T>(_fusion, PeerSet.FusionEntry);

    [Benchmark(Description = "FusionCache (L2 only)")]
    public ValueTask<MaybeValue<T>> FusionL2() => _peers.Fusion.TryGetAsync<T>(_fusionL2, PeerSet.FusionL2Entry);

    // HybridCache has no plain read; a factory that runs on a hot key is a miss and is counted.
    private ValueTask<T> FactoryOnHit(string method)
    {
        CaseLog.Unexpected(Self, method, "miss on a hot key");
        return ValueTask.FromResult(Payloads.Get<T>());
    }
}
