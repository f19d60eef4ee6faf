using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Hotpath.Internals;
using Hotpath.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Hotpath.Tests.Consistency;

/// <summary>
/// A seeded, randomized check of the consistency promise on the library API itself: several cache
/// instances on one server, each the only writer of its own keys (half under its tag, half under its pattern), run random Set,
/// Delete, InvalidateTag, DeleteByPattern, GetOrSet and Get (some with tokens that cancel mid-call)
/// while a fault loop pauses the server's writes or everything, kills and restarts it with the data it
/// had, drops the backplane's subscriptions and deletes tag version keys. A model keeps the latest
/// committed value of every key; on the writing instance no read after an invalidation returned may
/// give an older value (a violation). Other instances are probed after each invalidation and their
/// convergence time measured.
/// </summary>
/// <remarks>
/// <c>HOTPATH_FAULT_TEST_SECONDS</c> sets the run length per server (default 8 s) and
/// <c>HOTPATH_FAULT_TEST_SEED</c> replays a seed (printed in the output): the operations and faults
/// each worker picks come from it, though their interleaving still depends on timing.
/// </remarks>
[Collection(TimingSensitiveCollection.Name)]
public sealed class RandomizedFaultTests(ITestOutputHelper output)
{
    private const int Instances = 3;
    private const int KeysPerInstance = 6;

    private static readonly TimeSpan ConvergenceBound = TimeSpan.FromSeconds(5);

    [RedisServerFact]
    public Task OnRedisNoReadOnTheWritingInstanceReturnsAValueOlderThanItsLastInvalidation() =>
        RunAsync(server: null);

    [Fact]
    public Task OnGarnetNoReadOnTheWritingInstanceReturnsAValueOlderThanItsLastInvalidation() =>
        RunAsync(server: TestServers.Garnet);

    private async Task RunAsync(string? server)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("HOTPATH_FAULT_TEST_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var seconds = double.TryParse(Environment.GetEnvironmentVariable("HOTPATH_FAULT_TEST_SECONDS"), CultureInfo.InvariantCulture, out var d) ? d : 8;
        using var redis = server is null ? await RedisProcess.StartAsync(persistent: true) : null;
        var url = redis?.Url ?? TestServers.Url(server!);
        var prefix = TestServers.UniquePrefix(nameof(RandomizedFaultTests));
        var run = new Run(seed);
        var instances = new List<TestServers.Instance>();
        try
        {
            for (var i = 0; i < Instances; i++)
            {
                instances.Add(TestServers.NewInstance(server ?? TestServers.Garnet, prefix, o =>
                {
                    o.RedisUrl = url;
                    o.OperationTimeout = TimeSpan.FromMilliseconds(400);
                    o.ConnectTimeout = TimeSpan.FromMilliseconds(500);
                    o.Resilience.FailureThreshold = 3;
                    o.Resilience.BreakDuration = TimeSpan.FromMilliseconds(800);
                    o.Resilience.ReplayInterval = TimeSpan.FromMilliseconds(50);
                    o.LeaseWaitTimeout = TimeSpan.FromMilliseconds(300);
                }));
            }

            foreach (var instance in instances)
            {
                Assert.True(await Eventually.TrueAsync(() => instance.Cache.Memory!.IsTrusted), "backplane subscribed");
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var workers = Enumerable.Range(0, Instances).Select(i => Task.Run(() => WorkerAsync(run, instances, i, stop.Token))).ToList();
            var faults = Task.Run(() => FaultsAsync(run, redis, instances[0], prefix, stop.Token));
            await Task.WhenAll(workers.Append(faults));

            // Faults over: the server answers again; once every replay has landed, each writer reads its keys once more.
            if (redis is not null)
            {
                await redis.Command("CLIENT", "UNPAUSE");
            }

            foreach (var instance in instances)
            {
                Assert.True(await Eventually.TrueAsync(() => !instance.Cache.Replay!.IsPending, TimeSpan.FromSeconds(30)), "a replay never drained");
            }

            for (var i = 0; i < Instances; i++)
            {
                foreach (var key in run.KeysOf(i))
                {
                    await CheckReadAsync(run, instances[i].Cache, key, CancellationToken.None);
                }
            }

            await Task.WhenAll(run.Probes.Values);
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }

        var latencies = run.Convergence.OrderBy(static x => x).ToArray();
        string P(double q) => latencies.Length == 0 ? "n/a" : $"{latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))]:0.0} ms";
        output.WriteLine(
            $"seed {seed} on {(server ?? "redis-server")}: {run.Operations} operations, {run.Faults} faults ({string.Join(", ", run.FaultKinds.Select(static p => $"{p.Key} {p.Value}"))}), " +
            $"{run.Violations.Count} violations; other instances converged in p50 {P(0.5)}, p99 {P(0.99)}, max {P(1)} over {latencies.Length} probes, {run.Unconverged} not within {ConvergenceBound.TotalSeconds:0} s");
        Assert.True(run.Operations > 100, $"only {run.Operations} operations ran (seed {seed})");
        Assert.True(run.Violations.IsEmpty, $"seed {seed}: {run.Violations.Count} violations: {string.Join("; ", run.Violations.Take(5))}");
    }

    private static async Task WorkerAsync(Run run, List<TestServers.Instance> instances, int me, CancellationToken stop)
    {
        var random = new Random(run.Seed * 31 + me);
        var cache = instances[me].Cache;
        var own = run.KeysOf(me);
        var tagged = new CacheEntryOptions { Tags = [run.TagOf(me)], Ttl = TimeSpan.FromMinutes(1) };
        var untagged = new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(1) };
        while (!stop.IsCancellationRequested)
        {
            using var cancel = random.Next(5) == 0 ? new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(0, 30))) : null;
            var token = cancel?.Token ?? CancellationToken.None;
            var key = own[random.Next(own.Length)];
            var options = run.IsTagged(key) ? tagged : untagged;
            Interlocked.Increment(ref run.Operations);
            try
            {
                // Weights: set 4, delete 2, tag 1, pattern 1, read 6, GetOrSet 3, another instance's GetOrSet 3.
                switch (random.Next(20) switch { < 4 => 0, < 6 => 1, 6 => 2, 7 => 3, < 14 => 4, < 17 => 6, _ => 7 })
                {
                    case 0:
                    {
                        var id = run.Commit(key);
                        await Invalidate(run, key, () => cache.SetAsync(key, id, options, token));
                        break;
                    }

                    case 1:
                        run.Commit(key);
                        await Invalidate(run, key, async () => await cache.DeleteAsync(key, token));
                        break;
                    case 2:
                        await InvalidateAll(run, run.TaggedKeysOf(me), async () => await cache.InvalidateTagAsync(run.TagOf(me), token));
                        break;
                    case 3:
                        await InvalidateAll(run, run.PatternKeysOf(me), async () => await cache.DeleteByPatternAsync(run.PatternOf(me), token));
                        break;
                    case 4:
                        await CheckReadAsync(run, cache, key, token);
                        break;
                    case 6:
                    {
                        var floor = run.Floor(key);
                        var value = await cache.GetOrSetAsync(key, run, (r, _) => ValueTask.FromResult(r.Database[key]), options, token);
                        run.Check("GetOrSet", key, floor, found: true, value);

                        break;
                    }

                    default:
                    {
                        // A read on another instance, which may store what it read: the writer's leases must keep it out if stale.
                        var other = instances[random.Next(instances.Count)].Cache;
                        var foreign = run.KeysOf(random.Next(Instances))[random.Next(KeysPerInstance)];
                        var foreignOptions = run.IsTagged(foreign) ? new CacheEntryOptions { Tags = [run.TagOf(run.OwnerOf(foreign))] } : untagged;
                        await other.GetOrSetAsync(foreign, run, (r, _) => ValueTask.FromResult(r.Database[foreign]), foreignOptions, token);
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // A cancelled call promises nothing (InvalidationProtocolTests covers a write cancelled after it was sent).
            }

            if (random.Next(4) == 0)
            {
                StartProbe(run, instances, me, key, random.Next(instances.Count));
            }
        }

        async Task Invalidate(Run r, string k, Func<ValueTask> call)
        {
            // A call cancelled before it was sent leaves the cache as it was: only a returned call moves the floor.
            await call();
            r.Settle(k);
        }

        async Task InvalidateAll(Run r, string[] keys, Func<ValueTask> call)
        {
            foreach (var k in keys)
            {
                r.Commit(k);
            }

            await call();
            foreach (var k in keys)
            {
                r.Settle(k);
            }
        }
    }

    private static async Task CheckReadAsync(Run run, HotpathCache cache, string key, CancellationToken token)
    {
        var floor = run.Floor(key);
        var read = await cache.GetAsync<long>(key, token);
        run.Check("Get", key, floor, read.Found, read.Value);
    }

    /// <summary>Polls another instance until it no longer serves a value older than the writer's last invalidation.</summary>
    private static void StartProbe(Run run, List<TestServers.Instance> instances, int owner, string key, int reader)
    {
        if (reader == owner || run.Probes.ContainsKey(owner))
        {
            return;
        }

        var floor = run.Floor(key);
        run.Probes[owner] = Task.Run(async () =>
        {
            try
            {
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < ConvergenceBound)
                {
                    var read = await instances[reader].Cache.GetAsync<long>(key);
                    if (!read.Found || read.Value >= floor)
                    {
                        lock (run.Convergence)
                        {
                            run.Convergence.Add(clock.Elapsed.TotalMilliseconds);
                        }

                        return;
                    }

                    await Task.Delay(2);
                }

                Interlocked.Increment(ref run.Unconverged);
            }
            finally
            {
                run.Probes.TryRemove(owner, out _);
            }
        });
    }

    private static async Task FaultsAsync(Run run, RedisProcess? redis, TestServers.Instance any, string prefix, CancellationToken stop)
    {
        var random = new Random(run.Seed * 17 + 5);
        await using var admin = await AdminAsync(redis, redis is null ? TestServers.Garnet : null);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(random.Next(150, 600), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var kind = redis is null ? random.Next(2) + 3 : random.Next(5);
            string name;
            try
            {
                switch (kind)
                {
                    case 0:
                        name = "pause-write";
                        await admin.ExecuteAsync("CLIENT", "PAUSE", random.Next(100, 2500).ToString(CultureInfo.InvariantCulture), "WRITE");
                        break;
                    case 1:
                        name = "pause-all";
                        await admin.ExecuteAsync("CLIENT", "PAUSE", random.Next(100, 2500).ToString(CultureInfo.InvariantCulture), "ALL");
                        break;
                    case 2:
                        name = "kill-restart";
                        redis!.Stop();
                        await Task.Delay(random.Next(50, 1500), CancellationToken.None);
                        await redis.RestartAsync();
                        break;
                    case 3:
                        name = "drop-subscriptions";
                        await admin.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
                        break;
                    default:
                        name = "tag-version-lost";
                        await admin.ExecuteAsync("DEL", prefix + HotpathCache.TagKeyPrefix + run.TagOf(random.Next(Instances)));
                        break;
                }
            }
            catch (RedisException)
            {
                // The server does not support this fault (or it is down right now): it did not happen.
                continue;
            }

            Interlocked.Increment(ref run.Faults);
            run.FaultKinds.AddOrUpdate(name, 1, static (_, n) => n + 1);
        }
    }

    private static async Task<Admin> AdminAsync(RedisProcess? redis, string? server)
    {
        var endpoint = redis is not null ? $"127.0.0.1:{redis.Port}" : new Uri(TestServers.Url(server!)).Authority;
        return new Admin(await ConnectionMultiplexer.ConnectAsync($"{endpoint},allowAdmin=true,abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000"));
    }

    private sealed class Admin(ConnectionMultiplexer multiplexer) : IAsyncDisposable
    {
        public Task<RedisResult> ExecuteAsync(string command, params object[] args) => multiplexer.GetDatabase().ExecuteAsync(command, args);

        public ValueTask DisposeAsync() => multiplexer.DisposeAsync();
    }

    private sealed class Run : LatestValueModel
    {
        public Run(int seed)
        {
            Seed = seed;
            for (var i = 0; i < Instances; i++)
            {
                foreach (var key in KeysOf(i))
                {
                    Database[key] = 0;
                }
            }
        }

        public int Seed { get; }

        public ConcurrentDictionary<int, Task> Probes { get; } = new();

        public ConcurrentDictionary<string, int> FaultKinds { get; } = new();

        public List<double> Convergence { get; } = [];

        public long Operations;
        public long Faults;
        public long Unconverged;

        // Half of an instance's keys carry its tag; the other half match its pattern.
        public string[] KeysOf(int instance) => [.. TaggedKeysOf(instance), .. PatternKeysOf(instance)];

        public string[] TaggedKeysOf(int instance) => Enumerable.Range(0, KeysPerInstance / 2).Select(k => $"i{instance}:a:{k}").ToArray();

        public string[] PatternKeysOf(int instance) => Enumerable.Range(0, KeysPerInstance / 2).Select(k => $"i{instance}:b:{k}").ToArray();

        public bool IsTagged(string key) => key[3] == 'a';

        public int OwnerOf(string key) => key[1] - '0';

        public string TagOf(int instance) => $"t{instance}";

        public string PatternOf(int instance) => $"i{instance}:b:*";

    }
}
