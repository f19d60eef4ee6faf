using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Hotpath.Benchmarks.Infrastructure;

namespace Hotpath.Benchmarks.Core;

/// <summary>
/// Hotpath's <c>ICache.GetAsync</c>/<c>SetAsync</c> against the floor — StackExchange.Redis
/// <c>StringGetAsync</c>/<c>StringSetAsync</c> with System.Text.Json by hand — on the same Redis.
/// Target: a hit within 1.10× the floor's time and at most 256 bytes more allocated per call.
/// Keys are built before the timed calls (cached strings), so key construction is not measured.
/// </summary>
[MemoryDiagnoser]
[FixedJob(invocations: Invocations, warmups: 3, iterations: 15)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[GenericTypeArguments(typeof(Product))]
[GenericTypeArguments(typeof(List<Product>))]
public class CacheCoreBenchmarks<T>
{
    public const int Invocations = 512;

    private const string Suite = "core";

    // BenchmarkDotNet runs a generated subclass, so GetType() would not name this class.
    private static readonly Type Self = typeof(CacheCoreBenchmarks<T>);

    private readonly MissKeys _missKeys = new(Suite, BenchJobs.Invocations(Invocations));
    private PeerSet _peers = null!;
    private T _value = default!;
    private string _rawHitKey = string.Empty;
    private string _hotpathHitKey = string.Empty;
    private long _faultsAtSetup;

    [GlobalSetup]
    public void Setup()
    {
        _peers = PeerSet.Shared;
        _faultsAtSetup = _peers.HotpathFaults;
        _value = Payloads.Get<T>();
        _rawHitKey = PeerSet.Key<T>(Suite, Peer.Raw);
        _hotpathHitKey = PeerSet.Key<T>(Suite, Peer.Hotpath);
        Seed.Hit(_peers, Peer.Raw, _rawHitKey, _value);
        Seed.Hit(_peers, Peer.Hotpath, _hotpathHitKey, _value);
    }

    [GlobalCleanup]
    public void Cleanup() => Seed.CheckHotpathFaults(_peers, Self, _faultsAtSetup);

    [Benchmark(Baseline = true, Description = "SE.Redis + STJ (floor)")]
    [BenchmarkCategory("Hit")]
    public Task<T?> RawHit() => _peers.Raw.GetAsync<T>(_rawHitKey);

    [Benchmark(Description = "Hotpath")]
    [BenchmarkCategory("Hit")]
    public ValueTask<CacheResult<T>> HotpathHit() => _peers.Hotpath.GetAsync<T>(_hotpathHitKey);

    [IterationSetup(Targets = [nameof(RawMissSet), nameof(HotpathMissSet)])]
    public void NewMissKeys() => _missKeys.Next();

    [IterationCleanup(Target = nameof(RawMissSet))]
    public void RemoveRawMissKeys() => _missKeys.Remove(_peers, Peer.Raw);

    [IterationCleanup(Target = nameof(HotpathMissSet))]
    public void RemoveHotpathMissKeys() => _missKeys.Remove(_peers, Peer.Hotpath);

    [Benchmark(Baseline = true, Description = "SE.Redis + STJ (floor)")]
    [BenchmarkCategory("MissSet")]
    public async Task RawMissSet()
    {
        var key = _missKeys.Take(Peer.Raw);
        if (await _peers.Raw.GetAsync<T>(key).ConfigureAwait(false) is not null)
        {
            CaseLog.Unexpected(Self, nameof(RawMissSet), "hit on a fresh key");
        }

        await _peers.Raw.SetAsync(key, _value, PeerSet.Ttl).ConfigureAwait(false);
    }

    [Benchmark(Description = "Hotpath")]
    [BenchmarkCategory("MissSet")]
    public async Task HotpathMissSet()
    {
        var key = _missKeys.Take(Peer.Hotpath);
        if ((await _peers.Hotpath.GetAsync<T>(key).ConfigureAwait(false)).Found)
        {
            CaseLog.Unexpected(Self, nameof(HotpathMissSet), "hit on a fresh key");
        }

        await _peers.Hotpath.SetAsync(key, _value, PeerSet.Ttl).ConfigureAwait(false);
    }
}
