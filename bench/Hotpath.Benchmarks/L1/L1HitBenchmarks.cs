using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Hotpath.Benchmarks.Infrastructure;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using ZiggyCreatures.Caching.Fusion;

namespace Hotpath.Benchmarks.L1;

/// <summary>
/// A hit answered from process memory: FusionCache's and HybridCache's memory tier (HybridCache with a
/// plain mutable type, which it deserializes on every hit, and with a sealed <c>[ImmutableObject(true)]</c>
/// type, which it returns as is), next to <see cref="IMemoryCache"/> and a <see cref="ConcurrentDictionary{TKey,TValue}"/>
/// as the floor, against Hotpath's own memory tier (the default configuration, <see cref="PeerSet.HotpathL1"/>);
/// the docs generator shows every row's ratio to it.
/// </summary>
/// <typeparam name="T">The plain payload type.</typeparam>
/// <typeparam name="TFrozen">The same payload as an immutable type.</typeparam>
[MemoryDiagnoser]
[PilotedJob]
[GenericTypeArguments(typeof(Product), typeof(FrozenProduct))]
[GenericTypeArguments(typeof(List<Product>), typeof(FrozenCatalog))]
public class L1HitBenchmarks<T, TFrozen>
{
    private const string Suite = "l1";

    // BenchmarkDotNet runs a generated subclass, so GetType() would not name this class.
    private static readonly Type Self = typeof(L1HitBenchmarks<T, TFrozen>);

    private readonly ConcurrentDictionary<string, object?> _dictionary = new(StringComparer.Ordinal);
    private MemoryCache _memory = null!;
    private PeerSet _peers = null!;
    private string _fusionKey = string.Empty;
    private string _hybridKey = string.Empty;
    private string _hybridFrozenKey = string.Empty;
    private string _memoryKey = string.Empty;
    private string _hotpathKey = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _peers = PeerSet.Shared;
        _fusionKey = PeerSet.Key<T>(Suite, Peer.Fusion);
        _hybridKey = PeerSet.Key<T>(Suite, Peer.Hybrid);
        _hybridFrozenKey = PeerSet.Key<T>(Suite, Peer.Hybrid, "immutable");
        _memoryKey = PeerSet.Key<T>(Suite, Peer.Raw, "memory");
        _hotpathKey = PeerSet.Key<T>(Suite, Peer.Hotpath, "l1");
        _peers.HotpathL1.SetAsync(_hotpathKey, Payloads.Get<T>(), PeerSet.Ttl).AsTask().GetAwaiter().GetResult();
        if (!_peers.HotpathL1.GetAsync<T>(_hotpathKey).IsCompletedSuccessfully)
        {
            CaseLog.Unexpected(Self, nameof(HotpathL1), "not answered from memory");
        }
        Seed.Hit(_peers, Peer.Fusion, _fusionKey, Payloads.Get<T>());
        Seed.Hit(_peers, Peer.Hybrid, _hybridKey, Payloads.Get<T>());
        _peers.Hybrid.SetAsync(_hybridFrozenKey, Payloads.Get<TFrozen>(), PeerSet.HybridEntry).AsTask().GetAwaiter().GetResult();
        _memory = new MemoryCache(new MemoryCacheOptions());
        _memory.Set(_memoryKey, (object?)Payloads.Get<T>(), PeerSet.Ttl);
        _dictionary[_memoryKey] = Payloads.Get<T>();
    }

    [GlobalCleanup]
    public void Cleanup() => _memory.Dispose();

    [Benchmark(Baseline = true, Description = "Hotpath (L1)")]
    public ValueTask<CacheResult<T>> HotpathL1() => _peers.HotpathL1.GetAsync<T>(_hotpathKey);

    [Benchmark(Description = "FusionCache (L1)")]
    public ValueTask<MaybeValue<T>> Fusion() => _peers.Fusion.TryGetAsync<T>(_fusionKey, PeerSet.FusionEntry);

    [Benchmark(Description = "HybridCache (L1, mutable type)")]
    public ValueTask<T> Hybrid() => _peers.Hybrid.GetOrCreateAsync(_hybridKey, this, static (self, ct) => self.Factory<T>(nameof(Hybrid)), PeerSet.HybridEntry);

    [Benchmark(Description = "HybridCache (L1, immutable type)")]
    public ValueTask<TFrozen> HybridImmutable() => _peers.Hybrid.GetOrCreateAsync(_hybridFrozenKey, this, static (self, ct) => self.Factory<TFrozen>(nameof(HybridImmutable)), PeerSet.HybridEntry);

    [Benchmark(Description = "IMemoryCache")]
    public T? MemoryCache() => _memory.TryGetValue(_memoryKey, out var value) ? (T?)value : default;

    [Benchmark(Description = "ConcurrentDictionary")]
    public T? Dictionary() => _dictionary.TryGetValue(_memoryKey, out var value) ? (T?)value : default;

    private ValueTask<TValue> Factory<TValue>(string method)
    {
        CaseLog.Unexpected(Self, method, "miss on a hot key");
        return ValueTask.FromResult(Payloads.Get<TValue>());
    }
}
