using BenchmarkDotNet.Attributes;
using Hotpath.Benchmarks.Infrastructure;
using ZiggyCreatures.Caching.Fusion;

namespace Hotpath.Benchmarks.Peers;

/// <summary>
/// <c>GetOrSet</c> on a hot key with 64 callers in flight at once (started together, then awaited),
/// as under a burst of requests for the same page. Time and bytes are per call. The factory should
/// never run; if it does the Check column says so. Raw and IDistributedCache have no GetOrSet: theirs
/// is the hand-written get, then factory and set on a miss. Baseline: Hotpath.
/// </summary>
[MemoryDiagnoser]
[PilotedJob]
[GenericTypeArguments(typeof(Product))]
[GenericTypeArguments(typeof(List<Product>))]
public class PeerHotKeyBenchmarks<T>
{
    public const int Callers = 64;

    private const string Suite = "hotkey";

    // BenchmarkDotNet runs a generated subclass, so GetType() would not name this class.
    private static readonly Type Self = typeof(PeerHotKeyBenchmarks<T>);

    private readonly Dictionary<Peer, string> _keys = [];
    private readonly ValueTask<T>[] _calls = new ValueTask<T>[Callers];
    private readonly Task<T>[] _tasks = new Task<T>[Callers];
    private PeerSet _peers = null!;
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
    }

    [GlobalCleanup]
    public void Cleanup() => Seed.CheckHotpathFaults(_peers, Self, _faultsAtSetup);

    [Benchmark(OperationsPerInvoke = Callers, Description = "SE.Redis + STJ (floor)")]
    public async Task Raw()
    {
        var key = _keys[Peer.Raw];
        for (var i = 0; i < Callers; i++)
        {
            _tasks[i] = _peers.Raw.GetOrSetAsync(key, this, static (self, ct) => self.Factory(nameof(Raw)), PeerSet.Ttl);
        }

        await AwaitTasks().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Callers, Baseline = true, Description = "Hotpath")]
    public async Task Hotpath()
    {
        var key = _keys[Peer.Hotpath];
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Hotpath.GetOrSetAsync(key, this, static (self, ct) => self.Factory(nameof(Hotpath)), PeerSet.HotpathEntry);
        }

        await AwaitCalls().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Callers, Description = "IDistributedCache")]
    public async Task Distributed()
    {
        var key = _keys[Peer.Distributed];
        for (var i = 0; i < Callers; i++)
        {
            _tasks[i] = _peers.Distributed.GetOrSetAsync(key, this, static (self, ct) => self.Factory(nameof(Distributed)));
        }

        await AwaitTasks().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Callers, Description = "HybridCache (L1+L2)")]
    public async Task Hybrid()
    {
        var key = _keys[Peer.Hybrid];
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Hybrid.GetOrCreateAsync(key, this, static (self, ct) => self.Factory(nameof(Hybrid)), PeerSet.HybridEntry);
        }

        await AwaitCalls().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Callers, Description = "HybridCache (L2 only)")]
    public async Task HybridL2()
    {
        var key = _keys[Peer.HybridL2];
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Hybrid.GetOrCreateAsync(key, this, static (self, ct) => self.Factory(nameof(HybridL2)), PeerSet.HybridL2Entry);
        }

        await AwaitCalls().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Callers, Description = "FusionCache (L1+L2)")]
    public async Task Fusion()
    {
        var key = _keys[Peer.Fusion];
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Fusion.GetOrSetAsync<T>(key, FusionFactory, PeerSet.FusionEntry);
        }

        await AwaitCalls().ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Callers, Description = "FusionCache (L2 only)")]
    public async Task FusionL2()
    {
        var key = _keys[Peer.FusionL2];
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Fusion.GetOrSetAsync<T>(key, FusionL2Factory, PeerSet.FusionL2Entry);
        }

        await AwaitCalls().ConfigureAwait(false);
    }

    // FusionCache's factory takes no state: one delegate per row, made once.
    private Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> FusionFactory =>
        field ??= (_, _) => Factory(nameof(Fusion)).AsTask();

    private Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> FusionL2Factory =>
        field ??= (_, _) => Factory(nameof(FusionL2)).AsTask();

    private ValueTask<T> Factory(string method)
    {
        CaseLog.Unexpected(Self, method, "factory ran on a hot key");
        return ValueTask.FromResult(Payloads.Get<T>());
    }

    private async Task AwaitCalls()
    {
        for (var i = 0; i < Callers; i++)
        {
            await _calls[i].ConfigureAwait(false);
            _calls[i] = default;
        }
    }

    private async Task AwaitTasks()
    {
        for (var i = 0; i < Callers; i++)
        {
            await _tasks[i].ConfigureAwait(false);
            _tasks[i] = null!;
        }
    }
}
