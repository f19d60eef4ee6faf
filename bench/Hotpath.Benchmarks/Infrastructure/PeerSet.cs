using Hotpath.Internals;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// Every peer, configured as its documentation shows, each on its own connection(s) to the one Redis of
/// the run. One set per process, shared by every suite (the suites run one after another), disposed when
/// the run ends.
/// </summary>
public sealed class PeerSet : IDisposable
{
    /// <summary>The time to live of every entry the suites write.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(10);

    public static readonly CacheEntryOptions HotpathEntry = new() { Ttl = Ttl };

    public static readonly DistributedCacheEntryOptions DistributedEntry = new() { AbsoluteExpirationRelativeToNow = Ttl };

    public static readonly HybridCacheEntryOptions HybridEntry = new() { Expiration = Ttl, LocalCacheExpiration = Ttl };

    public static readonly HybridCacheEntryOptions HybridL2Entry = new() { Expiration = Ttl, Flags = HybridCacheEntryFlags.DisableLocalCache };

    public static readonly FusionCacheEntryOptions FusionEntry = new() { Duration = Ttl };

    public static readonly FusionCacheEntryOptions FusionL2Entry = new()
    {
        Duration = Ttl,
        SkipMemoryCacheRead = true,
        SkipMemoryCacheWrite = true,
        SkipBackplaneNotifications = true,
    };

    private static readonly Lazy<PeerSet> s_shared = new(static () => new PeerSet(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ConnectionMultiplexer _rawMultiplexer;
    private readonly ServiceProvider _hotpathServices;
    private readonly ServiceProvider _hotpathL1Services;
    private readonly ServiceProvider _microsoftServices;
    private readonly FusionCache _fusion;

    private PeerSet()
    {
        _rawMultiplexer = ConnectionMultiplexer.Connect(BenchRedis.Options("bench-raw"));
        Raw = new RawRedisCache(_rawMultiplexer.GetDatabase());

        var hotpath = new ServiceCollection();
        hotpath.AddLogging();
        hotpath.AddHotpath(configuration: null, configure: static o =>
        {
            o.RedisUrl = BenchRedis.Url;
            ConfigureHotpathRedisOnly(o);
        });
        _hotpathServices = hotpath.BuildServiceProvider();
        Hotpath = _hotpathServices.GetRequiredService<ICache>();

        var hotpathL1 = new ServiceCollection();
        hotpathL1.AddLogging();
        hotpathL1.AddHotpath(configuration: null, configure: static o => o.RedisUrl = BenchRedis.Url);
        _hotpathL1Services = hotpathL1.BuildServiceProvider();
        HotpathL1 = _hotpathL1Services.GetRequiredService<ICache>();
        var memory = ((HotpathCache)HotpathL1).Memory!;
        for (var i = 0; i < 500 && !memory.IsTrusted; i++)
        {
            // The memory tier serves only once the backplane is subscribed.
            Thread.Sleep(10);
        }

        var microsoft = new ServiceCollection();
        microsoft.AddLogging();
        microsoft.AddStackExchangeRedisCache(static o => o.ConfigurationOptions = BenchRedis.Options("bench-distributed"));
        microsoft.AddHybridCache(static o => o.DefaultEntryOptions = HybridEntry);
        _microsoftServices = microsoft.BuildServiceProvider();
        Distributed = new DistributedJsonCache(_microsoftServices.GetRequiredService<IDistributedCache>(), DistributedEntry);
        Hybrid = _microsoftServices.GetRequiredService<HybridCache>();

        _fusion = new FusionCache(Options.Create(new FusionCacheOptions { CacheName = "bench", DefaultEntryOptions = FusionEntry.Duplicate() }));
        _fusion.SetupDistributedCache(
            new RedisCache(Options.Create(new RedisCacheOptions { ConfigurationOptions = BenchRedis.Options("bench-fusion") })),
            new FusionCacheSystemTextJsonSerializer(Payloads.Json));
        _fusion.SetupBackplane(new RedisBackplane(Options.Create(new RedisBackplaneOptions { ConfigurationOptions = BenchRedis.Options("bench-fusion-backplane") })));
    }

    /// <summary>The process's peers, connected on first use.</summary>
    public static PeerSet Shared => s_shared.Value;

    public RawRedisCache Raw { get; }

    public ICache Hotpath { get; }

    /// <summary>Hotpath as configured by default: memory tier (L1) in front of Redis, with its backplane.</summary>
    public ICache HotpathL1 { get; }

    public DistributedJsonCache Distributed { get; }

    public HybridCache Hybrid { get; }

    public IFusionCache Fusion => _fusion;

    /// <summary>Store faults Hotpath swallowed (timeouts count here); a run that has any is suspect.</summary>
    public long HotpathFaults => ((HotpathCache)Hotpath).Faults.TotalFaults;

    /// <summary>
    /// Options that keep the measured Hotpath Redis-only, so Redis-vs-Redis rows stay comparable; the
    /// default configuration (memory tier on) is the separate <see cref="HotpathL1"/> peer.
    /// </summary>
    public static void ConfigureHotpathRedisOnly(HotpathOptions options) => options.L1.Enabled = false;

    public static void DisposeShared()
    {
        if (s_shared.IsValueCreated)
        {
            s_shared.Value.Dispose();
        }
    }

    /// <summary>A key of the suites' own namespace, unique to one suite, case, peer and payload.</summary>
    public static string Key<T>(string suite, Peer peer, string? suffix = null) =>
        $"{BenchRedis.KeyPrefix}{suite}:{peer}:{Payloads.Label<T>()}{(suffix is null ? string.Empty : ":" + suffix)}";

    /// <summary>Writes <paramref name="value"/> through <paramref name="peer"/>'s own API, so it reads it back in its own format.</summary>
    public async Task SetAsync<T>(Peer peer, string key, T value)
    {
        switch (peer)
        {
            case Peer.Raw:
                await Raw.SetAsync(key, value, Ttl).ConfigureAwait(false);
                break;
            case Peer.Hotpath:
                await Hotpath.SetAsync(key, value, Ttl).ConfigureAwait(false);
                break;
            case Peer.Distributed:
                await Distributed.SetAsync(key, value).ConfigureAwait(false);
                break;
            case Peer.Hybrid:
                await Hybrid.SetAsync(key, value, HybridEntry).ConfigureAwait(false);
                break;
            case Peer.HybridL2:
                await Hybrid.SetAsync(key, value, HybridL2Entry).ConfigureAwait(false);
                break;
            case Peer.Fusion:
                await Fusion.SetAsync(key, value, FusionEntry).ConfigureAwait(false);
                break;
            case Peer.FusionL2:
                await Fusion.SetAsync(key, value, FusionL2Entry).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(peer), peer, null);
        }
    }

    /// <summary>Whether <paramref name="peer"/> finds <paramref name="key"/> (used to check set-ups, never timed).</summary>
    public async Task<bool> ContainsAsync<T>(Peer peer, string key)
    {
        switch (peer)
        {
            case Peer.Raw:
                return await Raw.GetAsync<T>(key).ConfigureAwait(false) is not null;
            case Peer.Hotpath:
                return (await Hotpath.GetAsync<T>(key).ConfigureAwait(false)).Found;
            case Peer.Distributed:
                return await Distributed.GetAsync<T>(key).ConfigureAwait(false) is not null;
            case Peer.Hybrid:
            case Peer.HybridL2:
                var options = peer == Peer.Hybrid ? HybridEntry : HybridL2Entry;
                var missing = false;
                await Hybrid.GetOrCreateAsync(key, (ct) => { missing = true; return ValueTask.FromResult(default(T)!); },
                    new HybridCacheEntryOptions { Flags = options.Flags | HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite })
                    .ConfigureAwait(false);
                return !missing;
            case Peer.Fusion:
                return (await Fusion.TryGetAsync<T>(key, FusionEntry).ConfigureAwait(false)).HasValue;
            case Peer.FusionL2:
                return (await Fusion.TryGetAsync<T>(key, FusionL2Entry).ConfigureAwait(false)).HasValue;
            default:
                throw new ArgumentOutOfRangeException(nameof(peer), peer, null);
        }
    }

    /// <summary>Removes keys through <paramref name="peer"/>'s own API (memory tier included), pipelined.</summary>
    public async Task RemoveAsync(Peer peer, IReadOnlyList<string> keys)
    {
        switch (peer)
        {
            case Peer.Raw:
                var redisKeys = new RedisKey[keys.Count];
                for (var i = 0; i < keys.Count; i++)
                {
                    redisKeys[i] = keys[i];
                }

                await Raw.Database.KeyDeleteAsync(redisKeys).ConfigureAwait(false);
                break;
            case Peer.Hotpath:
                await Hotpath.DeleteAsync(keys).ConfigureAwait(false);
                break;
            case Peer.Distributed:
                await Task.WhenAll(keys.Select(k => Distributed.Cache.RemoveAsync(k))).ConfigureAwait(false);
                break;
            case Peer.Hybrid:
            case Peer.HybridL2:
                await Hybrid.RemoveAsync(keys).ConfigureAwait(false);
                break;
            case Peer.Fusion:
            case Peer.FusionL2:
                await Task.WhenAll(keys.Select(k => Fusion.RemoveAsync(k, peer == Peer.Fusion ? FusionEntry : FusionL2Entry).AsTask())).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(peer), peer, null);
        }
    }

    public void Dispose()
    {
        _fusion.Dispose();
        _microsoftServices.Dispose();
        _hotpathServices.Dispose();
        _hotpathL1Services.Dispose();
        _rawMultiplexer.Dispose();
    }
}
