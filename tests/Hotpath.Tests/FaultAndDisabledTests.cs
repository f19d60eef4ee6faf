using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotpath.Tests;

public sealed class FaultAndDisabledTests
{
    private static HotpathCache Disabled() =>
        new(HotpathConnection.Create(new HotpathOptions { RedisUrl = "none" }, NullLoggerFactory.Instance), new HotpathOptions(), NullLoggerFactory.Instance, new HotpathMetrics());

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task DisabledCacheMissesEveryReadAndIgnoresEveryWrite()
    {
        var cache = Disabled();
        await cache.SetAsync("k:1", 1);
        var calls = 0;

        Assert.False((await cache.GetAsync<int>("k:1")).Found);
        Assert.False(await cache.DeleteAsync("k:1"));
        Assert.False(await cache.ExistsAsync("k:1"));
        Assert.Equal(0, await cache.DeleteByPatternAsync("k:*"));
        await cache.InvalidateTagAsync("t");
        Assert.Equal(1, await cache.GetOrSetAsync("k:1", _ => ValueTask.FromResult(++calls)));
        Assert.Equal(2, await cache.GetOrSetAsync("k:1", _ => ValueTask.FromResult(++calls)));
    }

    [Fact]
    public async Task UnreachableServerMakesReadsMissesAndWritesNoOpsWithoutThrowing()
    {
        var logs = new CapturingLoggerProvider();
        var options = new HotpathOptions
        {
            RedisUrl = $"redis://user:hunter2@127.0.0.1:{ClosedPort()}",
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            OperationTimeout = TimeSpan.FromMilliseconds(300),
        };
        using var connection = HotpathConnection.Create(options, logs);
        var cache = new HotpathCache(connection, options, logs, new HotpathMetrics());
        var clock = Stopwatch.StartNew();

        var read = await cache.GetAsync<int>("k:1");
        await cache.SetAsync("k:1", 1);
        Assert.False(await cache.DeleteAsync("k:1"));
        await cache.InvalidateTagAsync("t");
        var computed = await cache.GetOrSetAsync("k:2", _ => ValueTask.FromResult(7));
        for (var i = 0; i < 20; i++)
        {
            await cache.GetAsync<int>("k:1");
        }

        // A correctness bound, not a benchmark: without fail-fast and the circuit breaker these would each wait for a reconnect.
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.False(read.Found);
        Assert.Equal(7, computed);
        Assert.True(cache.Faults.TotalFaults >= 4);
        Assert.True(cache.Replay!.IsPending, "the failed write, delete and tag invalidation wait for replay");
        Assert.Equal(2, cache.Replay.Count); // the failed set and delete of k:1 are one queued delete
        var faultRecords = logs.Records.Count(r => r.EventId.Id == 10);
        Assert.Equal(1, faultRecords);
        Assert.DoesNotContain("hunter2", logs.AllText);
    }

    [Fact]
    public async Task ThrowOnWriteErrorsSurfacesAFailedWrite()
    {
        var options = new HotpathOptions
        {
            RedisUrl = $"redis://127.0.0.1:{ClosedPort()}",
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            ThrowOnWriteErrors = true,
        };
        using var connection = HotpathConnection.Create(options, NullLoggerFactory.Instance);
        var cache = new HotpathCache(connection, options, NullLoggerFactory.Instance, new HotpathMetrics());

        await Assert.ThrowsAnyAsync<StackExchange.Redis.RedisException>(() => cache.SetAsync("k:1", 1).AsTask());
        Assert.False((await cache.GetAsync<int>("k:1")).Found);
    }

    [Fact]
    public async Task BadKeysThrowArgumentExceptionNamingTheParameter()
    {
        var cache = TestServers.Cache(TestServers.Garnet, nameof(BadKeysThrowArgumentExceptionNamingTheParameter), o => o.MaxKeyLength = 32);

        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(() => cache.GetAsync<int>("").AsTask())).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(() => cache.GetAsync<int>(null!).AsTask())).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync(new string('k', 33), 1).AsTask())).ParamName);
        Assert.Equal("keys", (await Assert.ThrowsAsync<ArgumentException>(() => cache.DeleteAsync(["ok", ""]).AsTask())).ParamName);
        Assert.Equal("tag", (await Assert.ThrowsAsync<ArgumentException>(() => cache.InvalidateTagAsync("").AsTask())).ParamName);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetAsync("k", 1, TimeSpan.Zero).AsTask());
    }

    [Fact]
    public async Task ACancelledTokenCancelsTheCall()
    {
        var cache = TestServers.Cache(TestServers.Garnet, nameof(ACancelledTokenCancelsTheCall));
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetAsync<int>("k", cts.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.SetAsync("k", 1, cancellationToken: cts.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetOrSetAsync("k", _ => ValueTask.FromResult(1), cancellationToken: cts.Token).AsTask());
    }

    [Theory]
    [InlineData("DefaultTtl")]
    [InlineData("OperationTimeout")]
    [InlineData("MaxKeyLength")]
    [InlineData("Embedded:MemorySize")]
    public void InvalidOptionsFailNamingTheSetting(string setting)
    {
        var options = new HotpathOptions { RedisUrl = "none" };
        switch (setting)
        {
            case "DefaultTtl": options.DefaultTtl = TimeSpan.Zero; break;
            case "OperationTimeout": options.OperationTimeout = TimeSpan.FromSeconds(-1); break;
            case "MaxKeyLength": options.MaxKeyLength = 0; break;
            case "Embedded:MemorySize": options.Embedded.MemorySize = "lots"; break;
        }

        var ex = Assert.Throws<HotpathConfigurationException>(() => HotpathConnection.Create(options, NullLoggerFactory.Instance));
        Assert.Contains("Hotpath:" + setting, ex.Message);
    }
}
