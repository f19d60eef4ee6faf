using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hotpath.Tests;

/// <summary><c>builder.AddHotpath("cache")</c>: the server named by <c>ConnectionStrings:cache</c>, as .NET Aspire sets it.</summary>
public sealed class NamedConnectionStringTests
{
    private static IHost Build(Dictionary<string, string?> settings, Action<HotpathOptions>? configure = null, CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddHotpath("cache", configure);
        return builder.Build();
    }

    /// <summary>The server's address as a StackExchange.Redis configuration string: its hosts, no options.</summary>
    private static string ConfigurationString(string server) =>
        string.Join(',', RedisConnectionSettings.Parse(TestServers.Url(server)).EndPoints.Select(static e => $"{e.Host}:{e.Port}"));

    private static async Task AssertWritesReach(IHost host, string server, string prefix)
    {
        var cache = host.Services.GetRequiredService<ICache>();
        await cache.SetAsync("named:1", 42);

        Assert.Equal(42, (await cache.GetAsync<int>("named:1")).Value);
        Assert.True(await TestServers.Multiplexer(server).GetDatabase().KeyExistsAsync(prefix + "named:1"));
    }

    [Theory]
    [MemberData(nameof(TestServers.Names), MemberType = typeof(TestServers))]
    public async Task TheNamedConnectionStringConnectsThroughAConfigurationString(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(TheNamedConnectionStringConnectsThroughAConfigurationString));
        using var host = Build(new()
        {
            ["ConnectionStrings:cache"] = ConfigurationString(server) + ",abortConnect=false,name=named-test",
            ["Hotpath:KeyPrefix"] = prefix,
        });
        await host.StartAsync();

        await AssertWritesReach(host, server, prefix);
        Assert.Null(host.Services.GetRequiredService<HotpathConnection>().EmbeddedEndPoint);
        await host.StopAsync();
    }

    [Theory]
    [MemberData(nameof(TestServers.Names), MemberType = typeof(TestServers))]
    public async Task TheNamedConnectionStringConnectsThroughAUrl(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(TheNamedConnectionStringConnectsThroughAUrl));
        using var host = Build(new() { ["ConnectionStrings:cache"] = TestServers.Url(server), ["Hotpath:KeyPrefix"] = prefix });
        await host.StartAsync();

        await AssertWritesReach(host, server, prefix);
        await host.StopAsync();
    }

    [Fact]
    public async Task TheNamedConnectionStringWinsOverRedisUrlAndTheHotpathSection()
    {
        var prefix = TestServers.UniquePrefix(nameof(TheNamedConnectionStringWinsOverRedisUrlAndTheHotpathSection));
        using var host = Build(new()
        {
            ["REDIS_URL"] = "redis://unused-by-this-test:1",
            ["Hotpath:RedisUrl"] = "redis://unused-by-this-test:2",
            ["ConnectionStrings:cache"] = ConfigurationString(TestServers.Garnet),
            ["Hotpath:KeyPrefix"] = prefix,
        });
        await host.StartAsync();

        await AssertWritesReach(host, TestServers.Garnet, prefix);
        Assert.Equal(TestServers.Url(TestServers.Garnet), host.Services.GetRequiredService<HotpathConnection>().Settings.ToString());
        await host.StopAsync();
    }

    [Fact]
    public async Task AServerSetInCodeWinsOverTheNamedConnectionString()
    {
        var prefix = TestServers.UniquePrefix(nameof(AServerSetInCodeWinsOverTheNamedConnectionString));
        using var host = Build(
            new() { ["ConnectionStrings:cache"] = "unused-by-this-test:1", ["Hotpath:KeyPrefix"] = prefix },
            o => o.RedisUrl = TestServers.Url(TestServers.Garnet));
        await host.StartAsync();

        await AssertWritesReach(host, TestServers.Garnet, prefix);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task AMissingOrEmptyNamedConnectionStringFailsStartUpNamingItInsteadOfFallingBack(string? value)
    {
        var settings = new Dictionary<string, string?> { ["REDIS_URL"] = TestServers.Url(TestServers.Garnet) };
        if (value is not null)
        {
            settings["ConnectionStrings:cache"] = value;
        }

        using var host = Build(settings);

        var ex = await Assert.ThrowsAsync<HotpathConfigurationException>(() => host.StartAsync());

        Assert.StartsWith("ConnectionStrings:cache is not set", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__cache", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoneInTheNamedConnectionStringDisablesTheCache()
    {
        using var host = Build(new() { ["ConnectionStrings:cache"] = "none" });
        await host.StartAsync();

        Assert.True(host.Services.GetRequiredService<HotpathConnection>().IsDisabled);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("127.0.0.1:notaport,password=hunter2")]
    [InlineData("127.0.0.1:6379,password=hunter2,serviceName=mymaster")]
    [InlineData("127.0.0.1:6379,password=hunt,er2")]
    [InlineData("memcached://admin:hunter2@host")]
    public async Task AnInvalidNamedConnectionStringFailsStartUpNamingItWithoutThePassword(string value)
    {
        using var host = Build(new() { ["ConnectionStrings:cache"] = value });

        var ex = await Assert.ThrowsAsync<HotpathConfigurationException>(() => host.StartAsync());

        Assert.StartsWith("ConnectionStrings:cache is not valid", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunt", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("er2", ex.Message, StringComparison.Ordinal);
    }

    // Every character URL or list syntax gives a meaning to, a percent sequence taken literally, and non-ASCII.
    private const string HostilePassword = "Pä55:w@rd/x=y%2Cz";

    private static string[] HostileConnectionStrings(int port) =>
    [
        $"127.0.0.1:{port},user=app,password={HostilePassword},abortConnect=false",
        $"redis://app:{Uri.EscapeDataString(HostilePassword)}@127.0.0.1:{port}",
        $"redis://app:{Uri.EscapeDataString(HostilePassword + ",tail")}@127.0.0.1:{port}",
    ];

    [RedisServerFact]
    public async Task AHostilePasswordAuthenticatesInEveryFormAndNeverReachesLogsErrorsOrToString()
    {
        // A server of this test's own, with an ACL user for each password (the default user stays open for the checks).
        using var redis = await RedisProcess.StartAsync(
            false,
            "--user", "app", "on", ">" + HostilePassword, ">" + HostilePassword + ",tail", "~*", "&*", "+@all");
        string[] fragments = ["Pä55", "w@rd", "x=y", "%2Cz", "tail"];

        foreach (var value in HostileConnectionStrings(redis.Port))
        {
            var logs = new CapturingLoggerProvider();
            var prefix = TestServers.UniquePrefix(nameof(AHostilePasswordAuthenticatesInEveryFormAndNeverReachesLogsErrorsOrToString));
            using (var host = Build(new() { ["ConnectionStrings:cache"] = value, ["Hotpath:KeyPrefix"] = prefix }, logs: logs))
            {
                await host.StartAsync();
                var cache = host.Services.GetRequiredService<ICache>();
                await cache.SetAsync("named:1", 42);

                Assert.Equal(1, (long)await redis.Command("EXISTS", prefix + "named:1"));
                var shown = host.Services.GetRequiredService<HotpathConnection>().Settings.ToString();
                Assert.Equal($"redis://app:***@127.0.0.1:{redis.Port}", shown);
                await host.StopAsync();
            }

            Assert.Contains(logs.Records, r => r.EventId.Id == 2 && r.Message.Contains(":***@", StringComparison.Ordinal));
            foreach (var fragment in fragments)
            {
                Assert.False(logs.AllText.Contains(fragment, StringComparison.Ordinal), $"'{fragment}' shows in the logs of {Form(value)}");
            }
        }

        // The same values made invalid (a port out of range) fail with the password masked.
        foreach (var value in HostileConnectionStrings(99999))
        {
            using var host = Build(new() { ["ConnectionStrings:cache"] = value });
            var message = (await Assert.ThrowsAsync<HotpathConfigurationException>(() => host.StartAsync())).Message;

            Assert.StartsWith("ConnectionStrings:cache is not valid", message, StringComparison.Ordinal);
            foreach (var fragment in fragments)
            {
                Assert.False(message.Contains(fragment, StringComparison.Ordinal), $"'{fragment}' shows in: {message}");
            }
        }

        static string Form(string value) => value.StartsWith("redis://", StringComparison.Ordinal) ? "the URL form" : "the configuration string";
    }
}
