using System.Diagnostics;
using Hotpath.Internals;
using Hotpath.Locking;
using Hotpath.Locking.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Hotpath.Tests.Consistency;

/// <summary>
/// A primary of a cluster of the test's own is killed (SIGKILL) under concurrent cache calls; its
/// replica is promoted. Measures the failover window and the acknowledged writes lost to asynchronous
/// replication, and checks that no read on the writing instance returns a value older than its last
/// returned write. The suite's shared cluster is never touched.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [ClusterProcessFact]
    public async Task AfterAPrimaryIsKilledAndItsReplicaPromotedNoReadOnTheWritingInstanceIsOlderThanItsLastWrite()
    {
        await using var cluster = await RedisClusterProcess.StartAsync(nodeTimeoutMilliseconds: 1000);
        var prefix = TestServers.UniquePrefix(nameof(ClusterFailoverTests));
        using var instance = TestServers.NewInstance(TestServers.Garnet, prefix, o =>
        {
            o.RedisUrl = cluster.Url;
            o.ThrowOnWriteErrors = true;
            o.OperationTimeout = TimeSpan.FromMilliseconds(500);
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
            o.Resilience.FailureThreshold = 3;
            o.Resilience.BreakDuration = TimeSpan.FromMilliseconds(500);
            o.Resilience.ReplayInterval = TimeSpan.FromMilliseconds(50);
        });
        var multiplexer = instance.Connection.Multiplexer!;
        Assert.True(await Eventually.TrueAsync(() => instance.Cache.Memory!.IsTrusted), "backplane subscribed");

        // The victim serves the first frozen key; the keys it serves are the ones the window is measured on.
        var workload = new FailoverWorkload(instance.Cache, workers: 4, keysPerWorker: 4);
        var victim = await cluster.PrimaryOfSlotAsync(multiplexer.HashSlot(prefix + workload.FrozenKeys.First()));
        var slotsBefore = (await cluster.NodesAsync()).Single(n => n.Port == victim).Slots;
        bool OnVictim(string key) => slotsBefore.Any(r => multiplexer.HashSlot(prefix + key) is var s && s >= r.From && s <= r.To);
        workload.Affected = OnVictim;
        Assert.Contains(workload.AllKeys, OnVictim);

        // Locks held on the victim when it dies: the promoted replica has them only if they had been replicated.
        var locks = LockService.Create(instance.Connection, new LockOptions(), new HotpathMetrics(), NullLoggerFactory.Instance, TimeProvider.System);
        var lockNames = Enumerable.Range(0, 200).Select(static i => $"job{i}").Where(n => slotsBefore.Any(r => multiplexer.HashSlot(n) is var s && s >= r.From && s <= r.To)).Take(5).ToArray();

        using var stop = new CancellationTokenSource();
        var running = workload.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var held = new List<LockHandle>();
            foreach (var name in lockNames)
            {
                held.Add((await locks.TryAcquireAsync(name, TimeSpan.FromMinutes(1)))!);
            }

            workload.Freeze();
            workload.MarkFault();
            var killedAt = clock.Elapsed;
            cluster.Kill(victim);

            // The replica takes over the victim's slots (bounded: a few node timeouts).
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                var nodes = await cluster.NodesAsync();
                return nodes.Any(n => n.IsPrimary && !n.IsFailed && n.Port != victim && n.Slots.SequenceEqual(slotsBefore));
            }, Bound), $"no replica took over the killed primary's slots {string.Join(",", slotsBefore)}: {string.Join(" | ", await cluster.NodesAsync())}");
            var promoted = clock.Elapsed - killedAt;

            // The writing instance gets back to work on the victim's keys: writes acknowledged, reads answered.
            Assert.True(await Eventually.TrueAsync(() => workload.WriteWindow is not null && workload.ReadWindow is not null, Bound), "operations on the killed primary's keys never succeeded again");
            await Task.Delay(TimeSpan.FromSeconds(1));
            await stop.CancelAsync();
            await running;
            await workload.CheckEveryKeyAsync();

            var (lostWrites, lostKeys) = await workload.LostWritesAsync(key => instance.Connection.Database!.StringGetAsync(key));
            var other = LockService.Create(instance.Connection, new LockOptions(), new HotpathMetrics(), NullLoggerFactory.Instance, TimeProvider.System);
            var locksLost = 0;
            foreach (var name in lockNames)
            {
                if (await other.TryAcquireAsync(name, TimeSpan.FromSeconds(5)) is { } taken)
                {
                    locksLost++;
                    await taken.DisposeAsync();
                }
            }

            output.WriteLine(
                $"cluster failover: killed primary {victim}, replica promoted after {promoted.TotalMilliseconds:0} ms; on its keys writes acknowledged again after " +
                $"{workload.WriteWindow!.Value.TotalMilliseconds:0} ms, reads answered again after {workload.ReadWindow!.Value.TotalMilliseconds:0} ms, " +
                $"last error {workload.ErrorsUntil.TotalMilliseconds:0} ms after the kill; {workload.Operations} operations, {workload.Errors} errors ({string.Join(", ", workload.ErrorKinds.Keys)}); " +
                $"acknowledged writes lost: {lostWrites} on {lostKeys} of {workload.FrozenKeys.Count(OnVictim)} keys on the killed primary; " +
                $"locks lost: {locksLost} of {lockNames.Length}; {workload.Model.Violations.Count} stale reads");
            Assert.True(workload.Operations > 100, $"only {workload.Operations} operations ran");
            Assert.True(workload.Model.Violations.IsEmpty, $"{workload.Model.Violations.Count} stale reads: {string.Join("; ", workload.Model.Violations.Take(5))}");
        }
        finally
        {
            await stop.CancelAsync();
            await running.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}

/// <summary>A test that starts a cluster of its own: skipped, saying why, without <c>HOTPATH_REDIS_SERVER_BIN</c> or redis-cli.</summary>
internal sealed class ClusterProcessFactAttribute : FactAttribute
{
    public ClusterProcessFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("HOTPATH_REDIS_SERVER_BIN")) || RedisProcess.Binary is null)
        {
            Skip = "needs HOTPATH_REDIS_SERVER_BIN (a redis-server binary; .ci/run sets it) to start a cluster of its own";
        }
        else if (RedisClusterProcess.Cli is null)
        {
            Skip = "needs redis-cli beside redis-server or on the PATH to create a cluster";
        }
    }
}
