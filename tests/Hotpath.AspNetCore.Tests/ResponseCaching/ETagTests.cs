using System.Net;
using System.Net.Http.Headers;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 6: an ETag is stored or computed, and If-None-Match on a hit is answered 304 from the cache.</summary>
public sealed class ETagTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AComputedETagIsAnswered304OnAHit(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => { Interlocked.Increment(ref calls); return Results.Json(new { name = "widget" }); })
                .CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var first = await app.GetAsync("/items");
        var etag = first.Headers.ETag;
        using var conditional = await app.GetAsync("/items", r => r.Headers.IfNoneMatch.Add(etag!));
        using var stale = await app.GetAsync("/items", r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\"")));

        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, conditional.StatusCode);
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(conditional));
        Assert.Equal(etag, conditional.Headers.ETag);
        Assert.Empty(await conditional.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal("""{"name":"widget"}""", await stale.Content.ReadAsStringAsync());
        Assert.Equal(1, calls);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheComputedETagFollowsTheContentAcrossInvalidations(string server)
    {
        var version = "a";
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => version).CacheResponse(TimeSpan.FromMinutes(1), "items");
        });

        using var first = await app.GetAsync("/items");
        await app.Cache.InvalidateTagAsync("items");
        using var sameContent = await app.GetAsync("/items");
        version = "b";
        await app.Cache.InvalidateTagAsync("items");
        using var newContent = await app.GetAsync("/items");

        Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(sameContent));
        Assert.Equal(first.Headers.ETag, sameContent.Headers.ETag);
        Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(newContent));
        Assert.NotEqual(first.Headers.ETag, newContent.Headers.ETag);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheHandlersOwnETagIsStoredAndUsed(string server)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", (HttpContext context) =>
            {
                context.Response.Headers.ETag = "W/\"v42\"";
                return "items";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var first = await app.GetAsync("/items");
        using var conditional = await app.GetAsync("/items", r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"v42\"", isWeak: true)));

        Assert.Equal("W/\"v42\"", first.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.NotModified, conditional.StatusCode);
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(conditional));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AResponseThatIsNotStoredGetsNoComputedETag(string server)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/missing", () => Results.NotFound("nothing")).CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var response = await app.GetAsync("/missing");

        Assert.Null(response.Headers.ETag);
    }
}
