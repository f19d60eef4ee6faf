using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 8: responses share the service cache's tags, so one invalidation evicts both.</summary>
public sealed class TagTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task InvalidatingATagEvictsTaggedResponsesAndServiceEntriesAlike(string server)
    {
        var version = 1;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/api/products", () => $"list v{version}").CacheResponse(TimeSpan.FromMinutes(5), tags: "products");
            a.MapGet("/api/products/{id:int}", (int id) => $"product {id} v{version}").CacheResponse(TimeSpan.FromMinutes(5), tags: "products");
            a.MapGet("/api/orders", () => $"orders v{version}").CacheResponse(TimeSpan.FromMinutes(5), tags: "orders");
        });
        await app.Cache.SetAsync("product:1:v1", "service entry", new CacheEntryOptions { Tags = ["products"] });
        await app.GetBodyAsync("/api/products");
        await app.GetBodyAsync("/api/products/1");
        await app.GetBodyAsync("/api/orders");
        Assert.Equal("HIT", (await app.GetBodyAsync("/api/products")).CacheStatus);

        version = 2;
        await app.Cache.InvalidateTagAsync("products");

        Assert.Equal(("list v2", "MISS"), await app.GetBodyAsync("/api/products"));
        Assert.Equal(("product 1 v2", "MISS"), await app.GetBodyAsync("/api/products/1"));
        Assert.Equal(("orders v1", "HIT"), await app.GetBodyAsync("/api/orders"));
        Assert.False((await app.Cache.GetAsync<string>("product:1:v1")).Found);
        Assert.Equal(("list v2", "HIT"), await app.GetBodyAsync("/api/products"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheFrameworksEvictByTagInvalidatesTheSameTag(string server)
    {
        var version = 1;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/api/products", () => $"list v{version}").CacheResponse(TimeSpan.FromMinutes(5), tags: "products");
        });
        await app.GetBodyAsync("/api/products");
        await app.Cache.SetAsync("product:1:v1", "service entry", new CacheEntryOptions { Tags = ["products"] });

        version = 2;
        await app.App.Services.GetRequiredService<IOutputCacheStore>().EvictByTagAsync("products", default);

        Assert.Equal(("list v2", "MISS"), await app.GetBodyAsync("/api/products"));
        Assert.False((await app.Cache.GetAsync<string>("product:1:v1")).Found);
    }
}
