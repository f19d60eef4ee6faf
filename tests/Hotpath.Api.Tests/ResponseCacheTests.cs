using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Me;
using Hotpath.Api.Products;
using Hotpath.Testing;

namespace Hotpath.Api.Tests;

/// <summary>The product reads cached as whole responses (tag <c>products</c>), in front of the service-level cache.</summary>
public sealed class ResponseCacheTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheSecondReadOfAPageIsAResponseCacheHitThatRunsNoHandlerAndSendsNoSql(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        await app.Cache.InvalidateTagAsync(ProductCacheKeys.ListTag);

        using var first = await client.GetAsync("/api/products?page=3&pageSize=7");
        var afterMiss = await client.StatsAsync();
        using var second = await client.GetAsync("/api/products?pageSize=7&page=3");
        var afterHit = await client.StatsAsync();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("MISS", first.CacheHeader());
        Assert.False(first.FromResponseCache());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("HIT", second.CacheHeader());
        Assert.True(second.FromResponseCache());

        // The handler did not run: the service-level cache was not even asked.
        Assert.Equal(afterMiss.DbCommands, afterHit.DbCommands);
        Assert.Equal(afterMiss.CacheHits, afterHit.CacheHits);
        Assert.Equal(afterMiss.CacheMisses, afterHit.CacheMisses);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        var page = (await second.Content.ReadFromJsonAsync<ProductPage>())!;
        Assert.Equal((3, 7), (page.Page, page.PageSize));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task OnAResponseCacheMissTheHandlersOwnCacheHeaderStands(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var bob = await client.LoginAsync(ApiClient.Bob);
        var id = Random.Shared.Next(101, 200);
        await app.Cache.InvalidateTagAsync(ProductCacheKeys.ListTag);
        await app.Cache.DeleteAsync(ProductCacheKeys.Item(id));

        // A signed-in read bypasses the (shared) response cache; the service-level cache still answers it.
        using var signedIn = await client.SendAsync(HttpMethod.Get, $"/api/products/{id}", bob);
        using var signedInAgain = await client.SendAsync(HttpMethod.Get, $"/api/products/{id}", bob);
        var before = await client.StatsAsync();
        using var responseMiss = await client.GetAsync($"/api/products/{id}");
        var afterResponseMiss = await client.StatsAsync();
        using var responseHit = await client.GetAsync($"/api/products/{id}");
        var afterResponseHit = await client.StatsAsync();

        Assert.Equal(("MISS", false), (signedIn.CacheHeader(), signedIn.FromResponseCache()));
        Assert.Equal(("HIT", false), (signedInAgain.CacheHeader(), signedInAgain.FromResponseCache()));

        // Missed the response cache, hit the value cache: HIT, once, and no Age.
        Assert.Equal(HttpStatusCode.OK, responseMiss.StatusCode);
        Assert.Equal(("HIT", false), (responseMiss.CacheHeader(), responseMiss.FromResponseCache()));
        Assert.Equal(before.CacheHits + 1, afterResponseMiss.CacheHits);
        Assert.Equal(before.DbCommands, afterResponseMiss.DbCommands);

        // Then the stored response: HIT with Age, and the handler did not run.
        Assert.Equal(("HIT", true), (responseHit.CacheHeader(), responseHit.FromResponseCache()));
        Assert.Equal(afterResponseMiss.CacheHits, afterResponseHit.CacheHits);
        Assert.Equal(afterResponseMiss.DbCommands, afterResponseHit.DbCommands);
        Assert.Equal(id, (await responseHit.Content.ReadFromJsonAsync<ProductDto>())!.Id);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnUpdateEvictsTheCachedResponsesSoTheNextReadOfTheItemAndThePageIsFresh(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var id = 57; // on page 3 of 25
        var itemUrl = $"/api/products/{id}";
        var pageUrl = "/api/products?page=3&pageSize=25";
        await WarmAsync(client, itemUrl);
        await WarmAsync(client, pageUrl);

        var name = $"Fresh {Guid.NewGuid():N}";
        using var update = await client.SendAsync(HttpMethod.Put, itemUrl, admin, new { name, price = 3.21m });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var updated = (await update.Content.ReadFromJsonAsync<ProductDto>())!;

        using var item = await client.GetAsync(itemUrl);
        using var page = await client.GetAsync(pageUrl);
        Assert.Equal(("MISS", false), (item.CacheHeader(), item.FromResponseCache()));
        Assert.Equal(updated, await item.Content.ReadFromJsonAsync<ProductDto>());
        Assert.Equal(("MISS", false), (page.CacheHeader(), page.FromResponseCache()));
        Assert.Contains(updated, (await page.Content.ReadFromJsonAsync<ProductPage>())!.Items);

        // And the fresh responses are what the cache serves from now on.
        using var itemAgain = await client.GetAsync(itemUrl);
        using var pageAgain = await client.GetAsync(pageUrl);
        Assert.True(itemAgain.FromResponseCache());
        Assert.Equal(updated, await itemAgain.Content.ReadFromJsonAsync<ProductDto>());
        Assert.True(pageAgain.FromResponseCache());
        Assert.Contains(updated, (await pageAgain.Content.ReadFromJsonAsync<ProductPage>())!.Items);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AlicesProfileIsNeverServedToBob(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var alice = await client.LoginAsync(ApiClient.Alice);
        var bob = await client.LoginAsync(ApiClient.Bob);
        await app.Cache.DeleteAsync([MeEndpoints.ProfileKey(1), MeEndpoints.ProfileKey(2)]);

        var seen = new List<(string Email, bool FromResponseCache)>();
        foreach (var token in new[] { alice, alice, bob, bob, alice })
        {
            using var response = await client.SendAsync(HttpMethod.Get, "/api/me", token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add(((await response.Content.ReadFromJsonAsync<Profile>())!.Email, response.FromResponseCache()));
        }

        Assert.Equal([ApiClient.Alice, ApiClient.Alice, ApiClient.Bob, ApiClient.Bob, ApiClient.Alice], seen.Select(s => s.Email));
        Assert.DoesNotContain(seen, s => s.FromResponseCache);
        foreach (var key in await TestServers.KeysAsync(server, app.KeyPrefix + "*response*"))
        {
            Assert.DoesNotContain("/api/me", key, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Reads the URL until its response is served from the response cache.</summary>
    private static async Task WarmAsync(HttpClient client, string url)
    {
        using var first = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await client.GetAsync(url);
        Assert.Equal(("HIT", true), (second.CacheHeader(), second.FromResponseCache()));
    }
}
