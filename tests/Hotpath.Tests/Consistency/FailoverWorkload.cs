using System.Diagnostics;
using System.Globalization;
using Hotpath.Internals;
using StackExchange.Redis;

namespace Hotpath.Tests.Consistency;

/// <summary>
/// Concurrent cache calls on one instance while a test fails its server over: workers each own a few
/// keys and a tag, and run Set, Get, GetOrSet and InvalidateTag against a <see cref="LatestValueModel"/>,
/// so any read on this (the writing) instance older than its last returned invalidation is a violation.
/// </summary>
/// <remarks>
/// Half of each worker's keys (the "frozen" ones) are written with Set only, and only until
/// <see cref="Freeze"/>: what the server holds of them afterwards shows which acknowledged writes a
/// failover lost, since no later write can replace a lost one. The other half carry the worker's tag and
/// keep going through the failover; the first successes after <see cref="MarkFault"/> give the window.
/// Writes run with <c>ThrowOnWriteErrors</c>, so a Set that returns was acknowledged by the server.
/// </remarks>
internal sealed class FailoverWorkload(HotpathCache cache, int workers, int keysPerWorker)
{
    private readonly LatestValueModel _model = new();
    private readonly Dictionary<string, List<long>> _acknowledged = new(StringComparer.Ordinal);
    private volatile bool _frozen;
    private long _faultAt = long.MaxValue;
    private long _firstWriteAfterFault = long.MaxValue;
    private long _firstHitAfterFault = long.MaxValue;
    private long _lastErrorAt;
    private long _operations;
    private long _errors;

    public LatestValueModel Model => _model;

    public long Operations => Interlocked.Read(ref _operations);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>The exception types calls threw, for the test's output.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, byte> ErrorKinds { get; } = new();

    /// <summary>The keys written until <see cref="Freeze"/>, with Set only.</summary>
    public IEnumerable<string> FrozenKeys => Enumerable.Range(0, workers).SelectMany(w => Keys(w, frozen: true));

    /// <summary>The keys that keep being written through the failover.</summary>
    public IEnumerable<string> LiveKeys => Enumerable.Range(0, workers).SelectMany(w => Keys(w, frozen: false));

    public IEnumerable<string> AllKeys => FrozenKeys.Concat(LiveKeys);

    /// <summary>Only keys a predicate picks (those on the failed server) count for the window; all by default.</summary>
    public Func<string, bool> Affected { get; set; } = static _ => true;

    /// <summary>From the fault until the first write of an affected key the server acknowledged; null if none yet.</summary>
    public TimeSpan? WriteWindow => Since(_faultAt, Interlocked.Read(ref _firstWriteAfterFault));

    /// <summary>From the fault until the first read of an affected key answered from the server or memory; null if none yet.</summary>
    public TimeSpan? ReadWindow => Since(_faultAt, Interlocked.Read(ref _firstHitAfterFault));

    /// <summary>From the fault until the last operation that threw; zero when none did after it.</summary>
    public TimeSpan ErrorsUntil => Since(_faultAt, Interlocked.Read(ref _lastErrorAt)) ?? TimeSpan.Zero;

    public void MarkFault() => Interlocked.Exchange(ref _faultAt, Stopwatch.GetTimestamp());

    public void Freeze() => _frozen = true;

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkerAsync(w, stop))));

    /// <summary>Reads every key once more on the writing instance and checks it against the model.</summary>
    public async Task CheckEveryKeyAsync()
    {
        foreach (var key in AllKeys)
        {
            var floor = _model.Floor(key);
            var read = await cache.GetAsync<long>(key);
            _model.Check("final Get", key, floor, read.Found, read.Value);
        }
    }

    /// <summary>
    /// Acknowledged writes of frozen keys that the server no longer holds: per key, those newer than
    /// the value it has now (all of them when it has none). <paramref name="raw"/> reads the stored
    /// entry of a key (with the instance's prefix) from the current primary.
    /// </summary>
    public async Task<(int Writes, int Keys)> LostWritesAsync(Func<string, Task<RedisValue>> raw)
    {
        var lostWrites = 0;
        var lostKeys = 0;
        foreach (var key in FrozenKeys)
        {
            List<long> acknowledged;
            lock (_acknowledged)
            {
                acknowledged = _acknowledged.TryGetValue(key, out var list) ? [.. list] : [];
            }

            if (acknowledged.Count == 0)
            {
                continue;
            }

            var stored = await raw(key);
            var held = stored.IsNull ? long.MinValue : PayloadOf(stored);
            var lost = acknowledged.Count(v => v > held);
            lostWrites += lost;
            lostKeys += lost > 0 ? 1 : 0;
        }

        return (lostWrites, lostKeys);
    }

    private static long PayloadOf(RedisValue entry)
    {
        // The stored form is one header line, then the JSON payload (see docs/caching.md "Stored form").
        var text = entry.ToString();
        return long.Parse(text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
    }

    private IEnumerable<string> Keys(int worker, bool frozen) =>
        Enumerable.Range(0, keysPerWorker).Select(k => $"w{worker}:{(frozen ? "f" : "l")}:{k}");

    private static TimeSpan? Since(long from, long to) =>
        from == long.MaxValue || to == long.MaxValue || to == 0 ? null : Stopwatch.GetElapsedTime(from, Math.Max(from, to));

    private async Task WorkerAsync(int worker, CancellationToken stop)
    {
        var random = new Random(worker * 7919 + Environment.TickCount);
        var frozenKeys = Keys(worker, frozen: true).ToArray();
        var liveKeys = Keys(worker, frozen: false).ToArray();
        var tag = $"t{worker}";
        var tagged = new CacheEntryOptions { Tags = [tag], Ttl = TimeSpan.FromMinutes(2) };
        var untagged = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(2) };
        while (!stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _operations);
            var frozenKey = random.Next(2) == 0;
            var key = frozenKey ? frozenKeys[random.Next(frozenKeys.Length)] : liveKeys[random.Next(liveKeys.Length)];
            var started = Stopwatch.GetTimestamp();
            try
            {
                // Weights: set 4, get 4, GetOrSet 2 (live keys), tag 1 (live keys).
                var choice = random.Next(11);
                if (choice < 4 && !(frozenKey && _frozen))
                {
                    var id = _model.Commit(key);
                    await cache.SetAsync(key, id, frozenKey ? untagged : tagged);
                    _model.Settle(key);
                    if (frozenKey)
                    {
                        lock (_acknowledged)
                        {
                            (_acknowledged.TryGetValue(key, out var list) ? list : _acknowledged[key] = []).Add(id);
                        }
                    }

                    Succeeded(key, started, write: true);
                }
                else if (choice < 8 || frozenKey)
                {
                    var floor = _model.Floor(key);
                    var read = await cache.GetAsync<long>(key);
                    _model.Check("Get", key, floor, read.Found, read.Value);
                    if (read.Found)
                    {
                        Succeeded(key, started, write: false);
                    }
                }
                else if (choice < 10)
                {
                    var floor = _model.Floor(key);
                    var value = await cache.GetOrSetAsync(key, _model, (m, _) => ValueTask.FromResult(m.Database.GetValueOrDefault(key)), tagged);
                    _model.Check("GetOrSet", key, floor, found: true, value);
                }
                else
                {
                    foreach (var k in liveKeys)
                    {
                        _model.Commit(k);
                    }

                    await cache.InvalidateTagAsync(tag);
                    foreach (var k in liveKeys)
                    {
                        _model.Settle(k);
                    }
                }
            }
            catch (Exception ex)
            {
                // A write the server did not acknowledge (ThrowOnWriteErrors): the model's floor stays.
                Interlocked.Increment(ref _errors);
                ErrorKinds.TryAdd(ex.GetType().Name, 0);
                if (started >= Interlocked.Read(ref _faultAt))
                {
                    Interlocked.Exchange(ref _lastErrorAt, Stopwatch.GetTimestamp());
                }

                // A failing server answers at once in some states; do not spin on it.
                await Task.Delay(5, CancellationToken.None);
            }
        }
    }

    private void Succeeded(string key, long started, bool write)
    {
        if (started < Interlocked.Read(ref _faultAt) || !Affected(key))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        ref var first = ref write ? ref _firstWriteAfterFault : ref _firstHitAfterFault;
        var seen = Interlocked.Read(ref first);
        while (now < seen)
        {
            var was = Interlocked.CompareExchange(ref first, now, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
