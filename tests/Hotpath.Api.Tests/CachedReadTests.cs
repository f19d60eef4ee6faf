using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Products;

namespace Hotpath.Api.Tests;

public sealed class CachedReadTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task FeaturedListIsAMissThenAHitThatSendsNoSql(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        await app.Cache.DeleteAsync(ProductCacheKeys.Featured);

        var before = await client.StatsAsync();
        using var first = await client.GetAsync("/api/products/featured");
        var afterMiss = await client.StatsAsync();
        using var second = await client.GetAsync("/api/products/featured");
        var afterHit = await client.StatsAsync();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("MISS", first.CacheHeader());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("HIT", second.CacheHeader());
        Assert.Equal(before.DbCommands + 1, afterMiss.DbCommands);
        Assert.Equal(afterMiss.DbCommands, afterHit.DbCommands);
        Assert.Equal(before.CacheMisses + 1, afterHit.CacheMisses);
        Assert.Equal(before.CacheHits + 1, afterHit.CacheHits);

        var featured = await second.Content.ReadFromJsonAsync<List<ProductDto>>();
        Assert.Equal(await first.Content.ReadFromJsonAsync<List<ProductDto>>(), featured);
        Assert.NotEmpty(featured!);
        Assert.All(featured!, p => Assert.True(p.IsFeatured));
        var ttl = await app.Cache.GetTimeToLiveAsync("products:featured:v1");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AThousandConcurrentReadsOfTheFeaturedListCostAtMostOneDatabaseCommand(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        await app.Cache.DeleteAsync(ProductCacheKeys.Featured);
        var before = await client.StatsAsync();

        // 20 callers at once, 50 reads each, starting cold: concurrent misses must share one query.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            var ok = 0;
            for (var i = 0; i < 50; i++)
            {
                using var response = await client.GetAsync("/api/products/featured");
                ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            return ok;
        }));

        var after = await client.StatsAsync();
        Assert.Equal(1000, statuses.Sum());
        Assert.InRange(after.DbCommands - before.DbCommands, 0, 1);
        Assert.Equal(1000, (after.CacheHits - before.CacheHits) + (after.CacheMisses - before.CacheMisses));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AProductIsCachedUnderItsOwnKeyWithAFiveMinuteTtl(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        await app.Cache.DeleteAsync(ProductCacheKeys.Item(7));

        using var first = await client.GetAsync("/api/products/7");
        var afterMiss = await client.StatsAsync();
        using var second = await client.GetAsync("/api/products/7");
        var afterHit = await client.StatsAsync();

        Assert.Equal("MISS", first.CacheHeader());
        Assert.Equal("HIT", second.CacheHeader());
        Assert.Equal(afterMiss.DbCommands, afterHit.DbCommands);
        var product = await second.Content.ReadFromJsonAsync<ProductDto>();
        Assert.Equal(7, product!.Id);
        var ttl = await app.Cache.GetTimeToLiveAsync("product:7:v1");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnUnknownIdIs404AndThe404IsCachedBriefly(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var id = Random.Shared.Next(500_000, 900_000);

        using var first = await client.GetAsync($"/api/products/{id}");
        var afterMiss = await client.StatsAsync();
        using var second = await client.GetAsync($"/api/products/{id}");
        var afterHit = await client.StatsAsync();

        await first.AssertProblemAsync(HttpStatusCode.NotFound);
        await second.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("MISS", first.CacheHeader());
        Assert.Equal("HIT", second.CacheHeader());
        Assert.Equal(afterMiss.DbCommands, afterHit.DbCommands);
        var ttl = await app.Cache.GetTimeToLiveAsync(ProductCacheKeys.Item(id));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), ProductCacheKeys.NotFoundTtl);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task PagesAreCachedAndPagingIsValidated(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        await app.Cache.InvalidateTagAsync(ProductCacheKeys.ListTag);

        using var first = await client.GetAsync("/api/products?page=2&pageSize=5");
        var afterMiss = await client.StatsAsync();
        using var second = await client.GetAsync("/api/products?page=2&pageSize=5");
        var afterHit = await client.StatsAsync();
        using var defaults = await client.GetAsync("/api/products");

        Assert.Equal("MISS", first.CacheHeader());
        Assert.Equal("HIT", second.CacheHeader());
        Assert.Equal(afterMiss.DbCommands, afterHit.DbCommands);
        var page = (await second.Content.ReadFromJsonAsync<ProductPage>())!;
        Assert.Equal(2, page.Page);
        Assert.Equal(5, page.PageSize);
        Assert.Equal(5, page.Items.Count);
        Assert.True(page.TotalCount >= 5);
        Assert.Equal((page.TotalCount + 4) / 5, page.TotalPages);
        Assert.True(page.Items.Zip(page.Items.Skip(1)).All(p => p.First.Id < p.Second.Id));
        var firstPage = (await defaults.Content.ReadFromJsonAsync<ProductPage>())!;
        Assert.Equal(1, firstPage.Page);
        Assert.Equal(20, firstPage.PageSize);
        Assert.Equal(firstPage.Items.Skip(5).Take(5).Select(p => p.Id), page.Items.Select(p => p.Id));

        foreach (var query in new[] { "pageSize=0", "pageSize=101", "page=0", "page=-3", "pageSize=abc", "page=1.5" })
        {
            using var bad = await client.GetAsync($"/api/products?{query}");
            await bad.AssertProblemAsync(HttpStatusCode.BadRequest);
        }

        using var largest = await client.GetAsync("/api/products?pageSize=100");
        Assert.Equal(HttpStatusCode.OK, largest.StatusCode);
    }
}
