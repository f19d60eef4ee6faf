using BenchmarkDotNet.Attributes;
using Hotpath.Benchmarks.Infrastructure;
using ZiggyCreatures.Caching.Fusion;

namespace Hotpath.Benchmarks.Peers;

/// <summary>
/// A stampede: 1000 callers in flight at once on a key nobody has written, each asking for it through
/// GetOrSet with a factory that takes 50 ms (a slow query). One invocation is one stampede; time and
/// bytes are for all 1000 callers to get the value. The "Factory runs" column counts how often the
/// factory ran per stampede (1 = fully coalesced). Raw and IDistributedCache have no GetOrSet and no
/// coalescing: theirs is the hand-written get, then factory and set on a miss. Baseline: Hotpath.
/// </summary>
[MemoryDiagnoser]
[FixedJob(invocations: 1, warmups: 2, iterations: 8)]
[GenericTypeArguments(typeof(Product))]
[GenericTypeArguments(typeof(List<Product>))]
public class PeerStampedeBenchmarks<T>
{
    public const int Callers = 1000;

    public static readonly TimeSpan FactoryDuration = TimeSpan.FromMilliseconds(50);

    private const string Suite = "stampede";

    // BenchmarkDotNet runs a generated subclass, so GetType() would not name this class.
    private static readonly Type Self = typeof(PeerStampedeBenchmarks<T>);

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    private readonly ValueTask<T>[] _calls = new ValueTask<T>[Callers];
    private readonly Task<T>[] _tasks = new Task<T>[Callers];
    private PeerSet _peers = null!;
    private T _value = default!;
    private long _factoryRuns;
    private int _stampede;
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

    [Benchmark(Description = "SE.Redis + STJ (floor)")]
    public async Task Raw()
    {
        var key = Begin(Peer.Raw);
        for (var i = 0; i < Callers; i++)
        {
            _tasks[i] = _peers.Raw.GetOrSetAsync(key, this, static (self, ct) => self.SlowFactory(ct), PeerSet.Ttl);
        }

        await EndTasks(nameof(Raw)).ConfigureAwait(false);
    }

    [Benchmark(Baseline = true, Description = "Hotpath")]
    public async Task Hotpath()
    {
        var key = Begin(Peer.Hotpath);
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Hotpath.GetOrSetAsync(key, this, static (self, ct) => self.SlowFactory(ct), PeerSet.HotpathEntry);
        }

        await EndCalls(nameof(Hotpath)).ConfigureAwait(false);
    }

    [Benchmark(Description = "IDistributedCache")]
    public async Task Distributed()
    {
        var key = Begin(Peer.Distributed);
        for (var i = 0; i < Callers; i++)
        {
            _tasks[i] = _peers.Distributed.GetOrSetAsync(key, this, static (self, ct) => self.SlowFactory(ct));
        }

        await EndTasks(nameof(Distributed)).ConfigureAwait(false);
    }

    [Benchmark(Description = "HybridCache (L1+L2)")]
    public async Task Hybrid()
    {
        var key = Begin(Peer.Hybrid);
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Hybrid.GetOrCreateAsync(key, this, static (self, ct) => self.SlowFactory(ct), PeerSet.HybridEntry);
        }

        await EndCalls(nameof(Hybrid)).ConfigureAwait(false);
    }

    [Benchmark(Description = "HybridCache (L2 only)")]
    public async Task HybridL2()
    {
        var key = Begin(Peer.HybridL2);
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Hybrid.GetOrCreateAsync(key, this, static (self, ct) => self.SlowFactory(ct), PeerSet.HybridL2Entry);
        }

        await EndCalls(nameof(HybridL2)).ConfigureAwait(false);
    }

    [Benchmark(Description = "FusionCache (L1+L2)")]
    public async Task Fusion()
    {
        var key = Begin(Peer.Fusion);
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Fusion.GetOrSetAsync<T>(key, FusionFactory, PeerSet.FusionEntry);
        }

        await EndCalls(nameof(Fusion)).ConfigureAwait(false);
    }

    [Benchmark(Description = "FusionCache (L2 only)")]
    public async Task FusionL2()
    {
        var key = Begin(Peer.FusionL2);
        for (var i = 0; i < Callers; i++)
        {
            _calls[i] = _peers.Fusion.GetOrSetAsync<T>(key, FusionFactory, PeerSet.FusionL2Entry);
        }

        await EndCalls(nameof(FusionL2)).ConfigureAwait(false);
    }

    private Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> FusionFactory =>
        field ??= (_, ct) => SlowFactory(ct).AsTask();

    /// <summary>
    /// A key no stampede has used. Built inside the timed call (one short string per 1000 callers and
    /// 50 ms, which is noise here), so every stage BenchmarkDotNet runs gets a cold key.
    /// </summary>
    private string Begin(Peer peer)
    {
        _factoryRuns = 0;
        return $"{BenchRedis.KeyPrefix}{Suite}:{peer}:{Payloads.Label<T>()}:{RunId}:{++_stampede}";
    }

    private async ValueTask<T> SlowFactory(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _factoryRuns);
        await Task.Delay(FactoryDuration, cancellationToken).ConfigureAwait(false);
        return _value;
    }

    private async Task EndCalls(string method)
    {
        var wrong = 0;
        for (var i = 0; i < Callers; i++)
        {
            if (await _calls[i].ConfigureAwait(false) is null)
            {
                wrong++;
            }

            _calls[i] = default;
        }

        Record(method, wrong);
    }

    private async Task EndTasks(string method)
    {
        var wrong = 0;
        for (var i = 0; i < Callers; i++)
        {
            if (await _tasks[i].ConfigureAwait(false) is null)
            {
                wrong++;
            }

            _tasks[i] = null!;
        }

        Record(method, wrong);
    }

    private void Record(string method, int wrong)
    {
        CaseLog.FactoryRuns(Self, method, Interlocked.Read(ref _factoryRuns));
        if (wrong > 0)
        {
            CaseLog.Unexpected(Self, method, "callers without the value", wrong);
        }
    }
}
