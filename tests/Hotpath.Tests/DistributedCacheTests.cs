using System.Buffers;
using System.Text;
using Hotpath.Caching;
using Hotpath.Caching.Internals;
using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Hotpath.Tests;

/// <summary>The IDistributedCache adapter against every RESP server the suite has.</summary>
public sealed class DistributedCacheTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    private static HotpathDistributedCache Cache(string server, string prefix, TimeProvider? time = null)
    {
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = prefix };
        var connection = HotpathConnection.Wrap(TestServers.Multiplexer(server), options, NullLogger.Instance);
        time ??= TimeProvider.System;
        return new HotpathDistributedCache(connection.Database!, options, new HotpathDistributedCacheOptions(), new FaultReporter(NullLogger.Instance, time, options.FaultLogInterval), time);
    }

    private static IDatabase Raw(string server, string prefix) =>
        TestServers.Multiplexer(server).GetDatabase().WithKeyPrefix(prefix);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SetGetRefreshAndRemoveRoundTripBytes(string server)
    {
        var cache = Cache(server, TestServers.UniquePrefix(nameof(SetGetRefreshAndRemoveRoundTripBytes)));

        await cache.SetAsync("session:a b", Bytes("hello"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        cache.Set("sync", [1, 2, 3], new DistributedCacheEntryOptions());

        Assert.Equal("hello", Encoding.UTF8.GetString((await cache.GetAsync("session:a b"))!));
        Assert.Equal([1, 2, 3], cache.Get("sync"));
        var writer = new ArrayBufferWriter<byte>();
        Assert.True(await cache.TryGetAsync("sync", writer));
        Assert.Equal([1, 2, 3], writer.WrittenSpan.ToArray());
        await cache.RefreshAsync("session:a b");
        await cache.RemoveAsync("session:a b");
        Assert.Null(await cache.GetAsync("session:a b"));
        Assert.Null(cache.Get("missing"));
        Assert.False(await cache.TryGetAsync("missing", writer));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AReadRenewsTheSlidingExpirationInTheSameRoundTrip(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AReadRenewsTheSlidingExpirationInTheSameRoundTrip));
        var cache = Cache(server, prefix);
        var key = HotpathDistributedCache.Key("cart");
        await cache.SetAsync("cart", Bytes("1"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        // As if most of the window had passed.
        await Raw(server, prefix).KeyExpireAsync(key, TimeSpan.FromSeconds(2));
        await cache.GetAsync("cart");
        var afterGet = await Raw(server, prefix).KeyTimeToLiveAsync(key);
        await Raw(server, prefix).KeyExpireAsync(key, TimeSpan.FromSeconds(2));
        cache.Refresh("cart");
        var afterRefresh = await Raw(server, prefix).KeyTimeToLiveAsync(key);

        Assert.InRange(afterGet!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange(afterRefresh!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheAbsoluteExpirationCapsTheSlidingOne(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(TheAbsoluteExpirationCapsTheSlidingOne));
        var cache = Cache(server, prefix);
        var key = HotpathDistributedCache.Key("token");
        await cache.SetAsync("token", Bytes("t"), new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromMinutes(10),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30),
        });

        var initial = await Raw(server, prefix).KeyTimeToLiveAsync(key);
        await cache.GetAsync("token");
        var afterGet = await Raw(server, prefix).KeyTimeToLiveAsync(key);

        Assert.InRange(initial!.Value, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.InRange(afterGet!.Value, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnEntryReadWithinItsSlidingWindowStaysAndExpiresOnceLeftAlone(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnEntryReadWithinItsSlidingWindowStaysAndExpiresOnceLeftAlone));
        var cache = Cache(server, prefix);
        // Wide enough that a stalled thread pool on a loaded machine cannot outlast it between two reads.
        var sliding = TimeSpan.FromMilliseconds(1200);
        await cache.SetAsync("s", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = sliding });

        var until = DateTime.UtcNow + (sliding * 2.5);
        while (DateTime.UtcNow < until)
        {
            Assert.NotNull(await cache.GetAsync("s"));
            await Task.Delay(150);
        }

        // Polled without reading through the cache, which would renew it.
        Assert.True(await Eventually.TrueAsync(async () => !await Raw(server, prefix).KeyExistsAsync(HotpathDistributedCache.Key("s")), TimeSpan.FromSeconds(5)));
        Assert.Null(await cache.GetAsync("s"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnEntryWithoutExpirationGetsTheDefaultSlidingOne(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnEntryWithoutExpirationGetsTheDefaultSlidingOne));
        var cache = Cache(server, prefix);

        await cache.SetAsync("forever", Bytes("v"), new DistributedCacheEntryOptions());

        var ttl = await Raw(server, prefix).KeyTimeToLiveAsync(HotpathDistributedCache.Key("forever"));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(19), TimeSpan.FromMinutes(20));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task RefreshSlidesAnEntryPastItsSlidingWindowButNotPastItsAbsoluteExpiration(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(RefreshSlidesAnEntryPastItsSlidingWindowButNotPastItsAbsoluteExpiration));
        var cache = Cache(server, prefix);
        var key = HotpathDistributedCache.Key("s");
        await cache.SetAsync("s", Bytes("v"), new DistributedCacheEntryOptions
        {
            SlidingExpiration = TimeSpan.FromSeconds(1.5),
            AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(5),
        });

        // Refreshed (never read) for longer than the sliding window: it stays. The window is wide enough
        // that a stalled thread pool on a loaded machine cannot outlast it between two refreshes.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(2.5);
        while (DateTime.UtcNow < until)
        {
            await cache.RefreshAsync("s");
            await Task.Delay(100);
        }

        Assert.True(await Raw(server, prefix).KeyExistsAsync(key));

        // Still refreshed on every poll, it ends anyway: the absolute expiration caps the sliding one.
        Assert.True(await Eventually.TrueAsync(async () =>
        {
            await cache.RefreshAsync("s");
            return !await Raw(server, prefix).KeyExistsAsync(key);
        }, TimeSpan.FromSeconds(10)));
        Assert.Null(await cache.GetAsync("s"));
    }

    [RedisServerFact]
    public async Task WhileTheCachesCircuitBreakerIsOpenNoCallGoesToTheServer()
    {
        using var redis = await RedisProcess.StartAsync();
        using var instance = TestServers.NewInstance(TestServers.Garnet, TestServers.UniquePrefix(nameof(WhileTheCachesCircuitBreakerIsOpenNoCallGoesToTheServer)), o =>
        {
            o.RedisUrl = redis.Url;
            o.OperationTimeout = TimeSpan.FromMilliseconds(500);
            o.ConnectTimeout = TimeSpan.FromMilliseconds(500);
            o.Resilience.FailureThreshold = 3;
            o.Resilience.BreakDuration = TimeSpan.FromMinutes(1);
        });
        var faults = instance.Cache.Faults;
        var cache = new HotpathDistributedCache(instance.Connection.Database!, new HotpathOptions(), new HotpathDistributedCacheOptions(), faults, TimeProvider.System);
        await cache.SetAsync("s", Bytes("v"), new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        Assert.NotNull(await cache.GetAsync("s"));

        redis.Stop();
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await cache.GetAsync("s"));
        }

        // The breaker the cache service uses opened on the adapter's faults: one breaker per connection.
        Assert.True(faults.CircuitOpen);
        var seen = faults.TotalFaults;
        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await cache.GetAsync("s"));
            Assert.Null(cache.Get("s"));
            await cache.SetAsync("s", Bytes("w"), new DistributedCacheEntryOptions());
            await cache.RefreshAsync("s");
            await cache.RemoveAsync("s");
        }

        // No call reached the connection while the breaker was open: not one more fault was paid for.
        Assert.Equal(seen, faults.TotalFaults);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task KeysAreEscapedSoNoKeyReachesAnotherEntryOrLeavesItsArea(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(KeysAreEscapedSoNoKeyReachesAnotherEntryOrLeavesItsArea));
        var cache = Cache(server, prefix);

        // A session id from a cookie is user input: separators and globs in it stay inside its own key.
        await cache.SetAsync("a:b*", Bytes("crafted"), new DistributedCacheEntryOptions());
        await cache.SetAsync("a", Bytes("plain"), new DistributedCacheEntryOptions());

        var keys = (await TestServers.KeysAsync(server, prefix + "*")).Select(k => k[prefix.Length..]).Where(k => k.StartsWith("_hotpath:dc:", StringComparison.Ordinal));
        Assert.Equal(["_hotpath:dc:a", "_hotpath:dc:a%3Ab%2A"], keys.Order(StringComparer.Ordinal));
        Assert.Equal("plain", Encoding.UTF8.GetString((await cache.GetAsync("a"))!));
        Assert.Equal("crafted", Encoding.UTF8.GetString((await cache.GetAsync("a:b*"))!));
        Assert.Null(await cache.GetAsync("a:b"));
    }
}
