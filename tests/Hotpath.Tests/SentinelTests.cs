using System.Diagnostics;
using System.Net;
using Hotpath.Internals;
using Hotpath.Testing;
using Hotpath.Tests.Consistency;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Hotpath.Tests;

/// <summary>
/// <c>redis+sentinel://</c> against the primary, replica and three sentinels of <c>HOTPATH_TEST_SENTINEL</c>.
/// One test fails the deployment over, so every test learns the primary from the sentinels.
/// </summary>
[Collection(SentinelCollection.Name)]
public sealed class SentinelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(40);

    private static TestServers.Instance NewInstance(string prefix, Action<HotpathOptions>? configure = null) =>
        TestServers.NewInstance(TestServers.Garnet, prefix, o =>
        {
            o.RedisUrl = SentinelDeployment.ConfiguredUrl;
            o.ConnectTimeout = TimeSpan.FromSeconds(5);
            configure?.Invoke(o);
        });

    /// <summary>The primaries an instance's connection sees (its connected servers that are not replicas): one, once it has settled.</summary>
    private static string PrimaryOf(TestServers.Instance instance) =>
        string.Join(",", instance.Connection.Multiplexer!.GetServers().Where(static s => s.IsConnected && !s.IsReplica).Select(static s => Format(s.EndPoint)).Order());

    private static string Format(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{(dns.Host == "localhost" ? "127.0.0.1" : dns.Host)}:{dns.Port}",
        _ => endPoint.ToString()!,
    };

    [SentinelFact]
    public async Task ASentinelUrlConnectsToThePrimaryTheSentinelsNameAndCachesThere()
    {
        await using var deployment = await SentinelDeployment.ConnectAsync();
        await deployment.WaitSettledAsync(SettleBound);
        var prefix = TestServers.UniquePrefix(nameof(ASentinelUrlConnectsToThePrimaryTheSentinelsNameAndCachesThere));
        using var instance = NewInstance(prefix);

        Assert.Equal(RedisServerMode.Sentinel, instance.Connection.Settings.Mode);
        var primary = Format((await deployment.PrimaryAsync())!);
        Assert.True(await Eventually.TrueAsync(() => PrimaryOf(instance) == primary), $"the connection writes to {PrimaryOf(instance)}, the sentinels name {primary}");

        var cache = instance.Cache;
        await cache.SetAsync("product:1", "kettle", new CacheEntryOptions { Tags = ["products"] });
        Assert.Equal("kettle", (await cache.GetAsync<string>("product:1")).Value);

        // The entry is on the primary the sentinels name, in the stored form.
        await using (var direct = await deployment.DirectAsync((await deployment.PrimaryAsync())!))
        {
            var stored = (string?)await direct.GetDatabase().StringGetAsync(prefix + "product:1");
            Assert.NotNull(stored);
            Assert.StartsWith("H1 ", stored);
        }

        await cache.InvalidateTagAsync("products");
        Assert.False((await cache.GetAsync<string>("product:1")).Found);
        Assert.Equal(2, await cache.GetOrSetAsync("product:2", static _ => ValueTask.FromResult(2)));
        Assert.True(await cache.DeleteAsync("product:2"));
        Assert.False((await cache.GetAsync<int>("product:2")).Found);
    }

    [SentinelFact]
    public async Task TheBackplaneDropsAnotherInstancesMemoryCopyThroughSentinel()
    {
        await using var deployment = await SentinelDeployment.ConnectAsync();
        await deployment.WaitSettledAsync(SettleBound);
        var prefix = TestServers.UniquePrefix(nameof(TheBackplaneDropsAnotherInstancesMemoryCopyThroughSentinel));
        using var writer = NewInstance(prefix);
        using var reader = NewInstance(prefix);
        Assert.True(await Eventually.TrueAsync(() => writer.Cache.Memory!.IsTrusted && reader.Cache.Memory!.IsTrusted), "backplanes subscribed");

        await writer.Cache.SetAsync("profile:7", "old");
        // A connection event of the deployment (another test failed it over) can hold the memory tier back for a moment.
        Assert.True(
            await Eventually.TrueAsync(async () => (await reader.Cache.GetAsync<string>("profile:7")).Value == "old" && reader.Cache.Memory!.Count > 0),
            "the reader never kept the value in memory");

        await writer.Cache.SetAsync("profile:7", "new");

        Assert.True(await Eventually.TrueAsync(async () => (await reader.Cache.GetAsync<string>("profile:7")).Value == "new"), "the reader dropped its memory copy");
    }

    [Fact]
    public void NoSentinelAnsweringFailsStartUpNamingTheSettingWithoutThePassword()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var options = new HotpathOptions { RedisUrl = $"redis+sentinel://app:hunter2@127.0.0.1:{port}/nobody", ConnectTimeout = TimeSpan.FromMilliseconds(500) };

        var ex = Assert.ThrowsAny<RedisConnectionException>(() => HotpathConnection.Create(options, NullLoggerFactory.Instance));

        Assert.Contains("REDIS_URL", ex.Message);
        Assert.Contains("'nobody'", ex.Message);
        Assert.Contains($"redis+sentinel://app:***@127.0.0.1:{port}/nobody", ex.Message);
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            Assert.DoesNotContain("hunter2", e.Message);
        }
    }

    /// <summary>
    /// A <c>SENTINEL FAILOVER</c> while one instance writes and reads: its connection moves to the new
    /// primary within the bound, a write after the move reads back, and no read on the instance returns
    /// a value older than its last returned write, although writes the old primary acknowledged after the
    /// replica was promoted are lost.
    /// </summary>
    [SentinelFact]
    public async Task AfterAFailoverTheCacheFollowsTheNewPrimaryAndServesNoValueOlderThanItsLastWrite()
    {
        await using var deployment = await SentinelDeployment.ConnectAsync();
        await deployment.WaitSettledAsync(SettleBound);
        var prefix = TestServers.UniquePrefix(nameof(AfterAFailoverTheCacheFollowsTheNewPrimaryAndServesNoValueOlderThanItsLastWrite));
        using var instance = NewInstance(prefix, o =>
        {
            o.ThrowOnWriteErrors = true;
            o.OperationTimeout = TimeSpan.FromMilliseconds(500);
            o.Resilience.FailureThreshold = 3;
            o.Resilience.BreakDuration = TimeSpan.FromMilliseconds(500);
            o.Resilience.ReplayInterval = TimeSpan.FromMilliseconds(50);
        });
        var before = Format((await deployment.PrimaryAsync())!);
        Assert.True(await Eventually.TrueAsync(() => PrimaryOf(instance) == before), "connected to the primary");

        var workload = new FailoverWorkload(instance.Cache, workers: 3, keysPerWorker: 3);
        using var stop = new CancellationTokenSource();
        var running = workload.RunAsync(stop.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            workload.MarkFault();
            await deployment.FailOverAsync();
            string? after = null;
            Assert.True(
                await Eventually.TrueAsync(async () => (after = Format((await deployment.PrimaryAsync())!)) != before, TimeSpan.FromSeconds(20)),
                "the sentinels never named a new primary");
            var promoted = clock.Elapsed;

            // The connection follows: it writes to the server the sentinels now name.
            Assert.True(await Eventually.TrueAsync(() => PrimaryOf(instance) == after, TimeSpan.FromSeconds(20)), $"the connection stayed on {PrimaryOf(instance)}, the sentinels name {after}");
            var followed = clock.Elapsed;
            workload.Freeze();

            // A write after the move is visible on the writing instance (once its replay has drained).
            Assert.True(await Eventually.TrueAsync(async () =>
            {
                try
                {
                    await instance.Cache.SetAsync("after", 42L);
                    return (await instance.Cache.GetAsync<long>("after")).Value == 42L;
                }
                catch (RedisException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20)), "a write after the failover never read back");

            await Task.Delay(TimeSpan.FromSeconds(1));
            await stop.CancelAsync();
            await running;
            await workload.CheckEveryKeyAsync();

            // Once the old primary is a replica of the new one, what survived is what the new primary holds.
            await deployment.WaitSettledAsync(SettleBound);
            await using var direct = await deployment.DirectAsync((await deployment.PrimaryAsync())!);
            var (lostWrites, lostKeys) = await workload.LostWritesAsync(key => direct.GetDatabase().StringGetAsync(prefix + key));
            output.WriteLine(
                $"sentinel failover {before} -> {after}: promoted after {promoted.TotalMilliseconds:0} ms, connection followed after {followed.TotalMilliseconds:0} ms; " +
                $"writes acknowledged again after {workload.WriteWindow?.TotalMilliseconds:0} ms, reads served again after {workload.ReadWindow?.TotalMilliseconds:0} ms, " +
                $"last error {workload.ErrorsUntil.TotalMilliseconds:0} ms after the failover; {workload.Operations} operations, {workload.Errors} errors ({string.Join(", ", workload.ErrorKinds.Keys)}); " +
                $"acknowledged writes lost: {lostWrites} on {lostKeys} keys; {workload.Model.Violations.Count} stale reads");
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
