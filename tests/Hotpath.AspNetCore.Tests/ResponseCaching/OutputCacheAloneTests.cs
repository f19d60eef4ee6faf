using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>
/// What ASP.NET Core's output cache does on its own (default policy, memory store), for each rule
/// Hotpath adds a piece for. If one of these starts failing after a framework update, the framework
/// now covers that rule and Hotpath's piece for it can go.
/// </summary>
public sealed class OutputCacheAloneTests
{
    // Since aspnetcore PR 67110 (issue 67268) the default policy re-checks the user before storing, so a
    // signed-in response is no longer stored; but a signed-in cookie request is still served the shared
    // entry when the cache runs before authentication, because the lookup cannot see the cookie.
    [Fact]
    public async Task ItServesTheSharedEntryToASignedInCookieUserWhenPlacedBeforeAuthentication()
    {
        await using var app = await StartAsync(a =>
        {
            a.UseOutputCache();
            a.UseAuthentication();
            a.MapGet("/login", async (HttpContext c) =>
                await c.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "alice")], "Cookies"))));
            a.MapGet("/data", (HttpContext c) => c.User.Identity?.Name ?? "anonymous").CacheOutput();
        }, b =>
        {
            b.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
            b.Services.AddAuthentication("Cookies").AddCookie("Cookies");
        });
        var client = app.GetTestClient();
        using var login = await client.GetAsync("/login");
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        Assert.Equal("anonymous", await client.GetStringAsync("/data"));
        using var alice = new HttpRequestMessage(HttpMethod.Get, "/data") { Headers = { { "Cookie", cookie } } };
        Assert.Equal("anonymous", await (await client.SendAsync(alice)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ItKeysHeadApartFromGet()
    {
        var calls = 0;
        await using var app = await StartAsync(a =>
        {
            a.UseOutputCache();
            a.MapMethods("/items", ["GET", "HEAD"], () => $"items {Interlocked.Increment(ref calls)}").CacheOutput();
        });
        var client = app.GetTestClient();

        await client.GetStringAsync("/items");
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/items"));

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ItSharesAnEntryBetweenRepeatedQueryValuesInADifferentOrder()
    {
        await using var app = await StartAsync(a =>
        {
            a.UseOutputCache();
            a.MapGet("/sort", (HttpContext c) => string.Join(',', c.Request.Query["by"].ToArray())).CacheOutput();
        });
        var client = app.GetTestClient();

        Assert.Equal("name,price", await client.GetStringAsync("/sort?by=name&by=price"));
        Assert.Equal("name,price", await client.GetStringAsync("/sort?by=price&by=name"));
    }

    [Fact]
    public async Task ItSharesAnEntryBetweenPathsThatDifferOnlyInCase()
    {
        await using var app = await StartAsync(a =>
        {
            a.UseOutputCache();
            a.MapGet("/items/{code}", (string code) => code).CacheOutput();
        });
        var client = app.GetTestClient();

        Assert.Equal("ABC", await client.GetStringAsync("/items/ABC"));
        Assert.Equal("ABC", await client.GetStringAsync("/items/abc"));
    }

    [Fact]
    public async Task ItComputesNoETag()
    {
        await using var app = await StartAsync(a =>
        {
            a.UseOutputCache();
            a.MapGet("/items", () => "items").CacheOutput();
        });
        var client = app.GetTestClient();

        await client.GetAsync("/items");
        using var hit = await client.GetAsync("/items");

        Assert.NotNull(hit.Headers.Age);
        Assert.Null(hit.Headers.ETag);
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplication> pipeline, Action<WebApplicationBuilder>? services = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddOutputCache();
        services?.Invoke(builder);
        var app = builder.Build();
        pipeline(app);
        await app.StartAsync();
        return app;
    }
}
