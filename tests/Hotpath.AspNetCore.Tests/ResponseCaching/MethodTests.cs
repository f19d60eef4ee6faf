using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 1: only GET and HEAD use the cache; HEAD is answered from the GET entry.</summary>
public sealed class MethodTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AGetIsStoredAndTheNextGetIsAHitWithAge(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => $"items {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var first = await app.GetAsync("/items");
        using var second = await app.GetAsync("/items");

        Assert.Equal("items 1", await first.Content.ReadAsStringAsync());
        Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(first));
        Assert.False(first.Headers.Contains("Age"));
        Assert.Equal("items 1", await second.Content.ReadAsStringAsync());
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(second));
        Assert.NotNull(second.Headers.Age);
        Assert.Equal(1, calls);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task OtherMethodsPassThroughUntouched(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapMethods("/items", ["GET", "POST", "PUT", "DELETE"], () => $"items {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var get = await app.GetAsync("/items");
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Post })
        {
            using var response = await app.GetAsync("/items", method: method);
            Assert.Null(ResponseCacheTestApp.CacheStatus(response));
        }

        Assert.Equal(5, calls);
        Assert.Single(app.StoredResponseKeys());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AHeadRequestIsAnsweredFromTheGetEntry(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => $"items {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var get = await app.GetAsync("/items");
        using var head = await app.GetAsync("/items", method: HttpMethod.Head);

        Assert.Equal(1, calls);
        Assert.Equal(HttpStatusCodeOk, (int)head.StatusCode);
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(head));
        Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AHeadMissRunsTheHandlerAndStoresNothingForGet(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => $"items {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var head = await app.GetAsync("/items", method: HttpMethod.Head);
        var get = await app.GetBodyAsync("/items");

        Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(head));
        Assert.Equal(("items 2", "MISS"), get);
        Assert.Equal(2, calls);
    }

    private const int HttpStatusCodeOk = StatusCodes.Status200OK;
}
