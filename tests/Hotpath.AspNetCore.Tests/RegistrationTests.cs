using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public async Task AnEndpointCanUseTheCacheThroughTheTestServer()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o =>
        {
            o.RedisUrl = TestServers.Url(TestServers.Garnet);
            o.KeyPrefix = TestServers.UniquePrefix(nameof(AnEndpointCanUseTheCacheThroughTheTestServer));
            o.OperationTimeout = TestServers.OperationTimeout;
        });
        await using var app = builder.Build();
        var calls = 0;
        app.MapGet("/value", async (ICache cache, CancellationToken ct) =>
            await cache.GetOrSetAsync("value:1", _ => ValueTask.FromResult(++calls), cancellationToken: ct));
        await app.StartAsync();
        var client = app.GetTestClient();

        var first = await client.GetStringAsync("/value");
        var second = await client.GetStringAsync("/value");

        Assert.Equal("1", first);
        Assert.Equal("1", second);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task UseIdempotencyChecksItsRegistrationWithoutBuildingItsServices()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o => o.RedisUrl = TestServers.Url(TestServers.Garnet)).AddIdempotency();

        // Building the store would connect to the server while the pipeline is being built.
        builder.Services.AddSingleton<Hotpath.AspNetCore.Idempotency.Internals.IdempotencyStore>(_ => throw new InvalidOperationException("the store was built"));
        await using var app = builder.Build();

        app.UseIdempotency();
    }

    [Fact]
    public async Task UseHotpathResponseCacheChecksItsRegistrationWithoutBuildingItsServices()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o => o.RedisUrl = TestServers.Url(TestServers.Garnet)).AddResponseCache();
        builder.Services.AddSingleton<Hotpath.AspNetCore.ResponseCaching.Internals.ResponseCacheRuntime>(_ => throw new InvalidOperationException("the runtime was built"));
        await using var app = builder.Build();

        app.UseHotpathResponseCache();
    }

    [Fact]
    public async Task UseIdempotencyWithoutAddIdempotencySaysWhatToCall()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o => o.RedisUrl = TestServers.Url(TestServers.Garnet));
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.UseIdempotency());
        Assert.Contains("AddIdempotency()", error.Message);
    }
}
