using Hotpath.Caching.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.Tests;

public sealed class DistributedCacheRegistrationTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SessionStateRoundTripsThroughTheServer(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(SessionStateRoundTripsThroughTheServer));
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o =>
        {
            o.RedisUrl = TestServers.Url(server);
            o.KeyPrefix = prefix;

            // The session write must not be dropped because a loaded machine was slow once.
            o.OperationTimeout = TestServers.OperationTimeout;
        }).AddDistributedCache();
        builder.Services.AddSession();
        await using var app = builder.Build();
        app.UseSession();
        app.MapPost("/cart/{item}", (HttpContext context, string item) =>
        {
            context.Session.SetString("item", item);
            return Results.NoContent();
        });
        app.MapGet("/cart", (HttpContext context) => context.Session.GetString("item") ?? "(empty)");
        await app.StartAsync();
        var client = app.GetTestClient();

        var set = await client.PostAsync("/cart/kettle", null);
        var cookie = set.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        async Task<string> ReadAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/cart");
            request.Headers.Add("Cookie", cookie);
            return await (await client.SendAsync(request)).Content.ReadAsStringAsync();
        }

        Assert.IsType<HotpathDistributedCache>(app.Services.GetRequiredService<IDistributedCache>());
        Assert.Equal("kettle", await ReadAsync());

        // The state lives in the server: without its key the session is empty.
        var keys = await TestServers.KeysAsync(server, prefix + HotpathDistributedCache.KeyPrefix + "*");
        Assert.Single(keys);
        await TestServers.Multiplexer(server).GetDatabase().KeyDeleteAsync(keys[0]);
        Assert.Equal("(empty)", await ReadAsync());
    }

    [Fact]
    public async Task AnApplicationsOwnDistributedCacheIsKeptAndStartUpSaysSo()
    {
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddDistributedMemoryCache();
        builder.Services.AddHotpath(configure: o => o.RedisUrl = TestServers.Url(TestServers.Garnet)).AddDistributedCache();
        await using var app = builder.Build();
        await app.StartAsync();

        Assert.IsType<MemoryDistributedCache>(app.Services.GetRequiredService<IDistributedCache>());
        Assert.Single(logs.Records, r => r.EventId.Id == 4071);
    }

    [Fact]
    public async Task WithTheCacheDisabledEntriesAreKeptInProcess()
    {
        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddHotpath(configure: o => o.RedisUrl = "none").AddDistributedCache();
        await using var app = builder.Build();
        await app.StartAsync();
        var cache = app.Services.GetRequiredService<IDistributedCache>();

        await cache.SetStringAsync("k", "v");

        Assert.IsType<MemoryDistributedCache>(cache);
        Assert.Equal("v", await cache.GetStringAsync("k"));
        Assert.Single(logs.Records, r => r.EventId.Id == 4070);
    }
}
