using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hotpath.Tests;

public sealed class AddHotpathTests
{
    private static IHost Build(Dictionary<string, string?> settings, CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddHotpath(builder.Configuration);
        return builder.Build();
    }

    [Fact]
    public async Task WithNothingConfiguredAnEmbeddedServerStartsAndStopsWithTheHost()
    {
        var logs = new CapturingLoggerProvider();
        using var host = Build([], logs);
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICache>();
        var connection = host.Services.GetRequiredService<HotpathConnection>();

        await cache.SetAsync("hello:1", "world");
        Assert.Equal("world", (await cache.GetAsync<string>("hello:1")).Value);
        Assert.Equal(RedisServerMode.Server, connection.Settings.Mode);
        Assert.NotNull(connection.EmbeddedEndPoint);
        Assert.Single(logs.Records, r => r.EventId.Id == 1);

        await host.StopAsync();
        host.Dispose();
        Assert.Single(logs.Records, r => r.EventId.Id == 4);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SocketIOOnThreadPoolHandsTheSocketsToTheThreadPoolAndTheCacheStillServes(string server)
    {
        using var host = Build(new() { ["REDIS_URL"] = TestServers.Url(server), ["Hotpath:SocketIOOnThreadPool"] = "true" });
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICache>();
        var connection = host.Services.GetRequiredService<HotpathConnection>();
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HotpathOptions>>().Value;
        var key = TestServers.UniquePrefix(nameof(SocketIOOnThreadPoolHandsTheSocketsToTheThreadPoolAndTheCacheStillServes)) + "k:1";

        await cache.SetAsync(key, "value");

        Assert.Equal("value", (await cache.GetAsync<string>(key)).Value);
        Assert.True(options.SocketIOOnThreadPool);
        Assert.Same(StackExchange.Redis.SocketManager.ThreadPool, connection.Settings.ToConfigurationOptions(options).SocketManager);
        Assert.NotSame(StackExchange.Redis.SocketManager.ThreadPool, connection.Settings.ToConfigurationOptions(new HotpathOptions()).SocketManager);
        await host.StopAsync();
    }

    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [InlineData("")]
    [InlineData("none")]
    public async Task EmptyOrNoneDisablesTheCache(string url)
    {
        using var host = Build(new() { ["REDIS_URL"] = url });
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICache>();

        await cache.SetAsync("k:1", 1);

        Assert.False((await cache.GetAsync<int>("k:1")).Found);
        Assert.True(host.Services.GetRequiredService<HotpathConnection>().IsDisabled);
        await host.StopAsync();
    }

    [Fact]
    public async Task RedisUrlWinsOverTheHotpathSection()
    {
        using var host = Build(new()
        {
            ["Hotpath:RedisUrl"] = "redis://unused:1",
            ["REDIS_URL"] = TestServers.Url(TestServers.Garnet),
            ["Hotpath:KeyPrefix"] = "app:",
            ["Hotpath:DefaultTtl"] = "00:00:42",
        });
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICache>();

        await cache.SetAsync("k:1", 1);

        Assert.Equal(1, (await cache.GetAsync<int>("k:1")).Value);
        Assert.True(await TestServers.Multiplexer(TestServers.Garnet).GetDatabase().KeyExistsAsync("app:k:1"));
        var ttl = await cache.GetTimeToLiveAsync("k:1");
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(42));
        await host.StopAsync();
    }

    [Fact]
    public async Task AnInvalidUrlFailsStartUpNamingRedisUrlWithoutThePassword()
    {
        using var host = Build(new() { ["REDIS_URL"] = "memcached://admin:hunter2@host" });

        var ex = await Assert.ThrowsAsync<HotpathConfigurationException>(() => host.StartAsync());

        Assert.Contains("REDIS_URL", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public async Task ThePasswordOfAnExternalServerNeverReachesTheLogs()
    {
        var logs = new CapturingLoggerProvider();
        var url = TestServers.Url(TestServers.Garnet).Replace("redis://", "redis://:hunter2@", StringComparison.Ordinal);
        using var host = Build(new() { ["REDIS_URL"] = url }, logs);
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<ICache>();

        // Garnet runs without auth and rejects AUTH, so every call faults: the logs must still be clean.
        await cache.GetAsync<int>("k:1");
        await cache.SetAsync("k:1", 1);
        await host.StopAsync();

        Assert.Contains(logs.Records, r => r.EventId.Id == 2);
        Assert.DoesNotContain("hunter2", logs.AllText);
    }
}
