using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>
/// Responses that depend on who asks without an authenticated user: session state, and handlers that
/// say so with <c>Vary</c>. None may be served to another visitor.
/// </summary>
public sealed class PersonalResponseTests
{
    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public async Task AResponseBuiltFromSessionStateIsNeverServedToAnotherVisitor(bool sessionBeforeCache, bool handlerSetsVary)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(TestServers.Garnet, a =>
        {
            if (sessionBeforeCache)
            {
                a.UseSession();
                a.UseHotpathResponseCache();
            }
            else
            {
                a.UseHotpathResponseCache();
                a.UseSession();
            }

            a.MapGet("/visit/{name}", (string name, HttpContext c) =>
            {
                c.Session.SetString("name", name);
                return "welcome";
            });
            a.MapGet("/cart", (HttpContext c) =>
            {
                if (handlerSetsVary)
                {
                    c.Response.Headers.Vary = "Cookie";
                }

                return $"cart of {c.Session.GetString("name") ?? "nobody"}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        }, services: b => b.Services.AddDistributedMemoryCache().AddSession());

        var alice = await SessionCookieAsync(app, "alice");
        var bob = await SessionCookieAsync(app, "bob");

        Assert.Equal("cart of alice", (await app.GetBodyAsync("/cart", r => r.Headers.Add("Cookie", alice))).Body);
        Assert.Equal("cart of bob", (await app.GetBodyAsync("/cart", r => r.Headers.Add("Cookie", bob))).Body);
        Assert.Equal("cart of alice", (await app.GetBodyAsync("/cart", r => r.Headers.Add("Cookie", alice))).Body);
    }

    [Fact]
    public async Task TheConfiguredSessionCookieNameMarksARequestAsPersonal()
    {
        await using var app = await ResponseCacheTestApp.StartAsync(TestServers.Garnet, a =>
        {
            a.UseSession();
            a.UseHotpathResponseCache();
            a.MapGet("/visit/{name}", (string name, HttpContext c) =>
            {
                c.Session.SetString("name", name);
                return "welcome";
            });
            a.MapGet("/cart", (HttpContext c) => $"cart of {c.Session.GetString("name") ?? "nobody"}").CacheResponse(TimeSpan.FromMinutes(1));
        }, services: b => b.Services.AddDistributedMemoryCache().AddSession(o => o.Cookie.Name = "shop.session"));

        var alice = await SessionCookieAsync(app, "alice");
        Assert.StartsWith("shop.session=", alice, StringComparison.Ordinal);
        var bob = await SessionCookieAsync(app, "bob");

        Assert.Equal("cart of alice", (await app.GetBodyAsync("/cart", r => r.Headers.Add("Cookie", alice))).Body);
        Assert.Equal("cart of bob", (await app.GetBodyAsync("/cart", r => r.Headers.Add("Cookie", bob))).Body);
    }

    [Fact]
    public async Task AResponseThatVariesByAHeaderTheKeyDoesNotHoldIsNotStored()
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(TestServers.Garnet, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/star", (HttpContext c) =>
            {
                c.Response.Headers.Vary = "*";
                return $"star {Interlocked.Increment(ref calls)}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/tenant", (HttpContext c) =>
            {
                c.Response.Headers.Vary = "Accept, X-Tenant";
                return $"tenant {c.Request.Headers["X-Tenant"]}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });
        using var counts = MetricsAndHeaderTests.Counts.Listen(app.App.Services.GetRequiredService<HotpathMetrics>().Meter);

        await app.GetBodyAsync("/star");
        Assert.Equal("star 2", (await app.GetBodyAsync("/star")).Body);
        Assert.Equal("tenant a", (await app.GetBodyAsync("/tenant", r => r.Headers.Add("X-Tenant", "a"))).Body);
        var other = await app.GetBodyAsync("/tenant", r => r.Headers.Add("X-Tenant", "b"));

        Assert.Equal(("tenant b", "MISS"), other);
        Assert.Equal(4, counts.Get("hotpath.response_cache.not_stored", "reason=vary"));
    }

    [Fact]
    public async Task AResponseThatVariesOnlyByHeadersThePolicyKeysByIsStoredPerValue()
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(TestServers.Garnet, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/tenant", (HttpContext c) =>
            {
                c.Response.Headers.Vary = "X-Tenant";
                return $"tenant {c.Request.Headers["X-Tenant"]} {Interlocked.Increment(ref calls)}";
            }).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).VaryByHeader("X-Tenant"));
        });

        var a1 = await app.GetBodyAsync("/tenant", r => r.Headers.Add("X-Tenant", "a"));
        var a2 = await app.GetBodyAsync("/tenant", r => r.Headers.Add("X-Tenant", "a"));
        var b1 = await app.GetBodyAsync("/tenant", r => r.Headers.Add("X-Tenant", "b"));

        Assert.Equal(("tenant a 1", "HIT"), (a2.Body, a2.CacheStatus));
        Assert.Equal(a1.Body, a2.Body);
        Assert.Equal("tenant b 2", b1.Body);
    }

    private static async Task<string> SessionCookieAsync(ResponseCacheTestApp app, string name)
    {
        using var response = await app.GetAsync($"/visit/{name}");
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return setCookie[..setCookie.IndexOf(';')];
    }
}
