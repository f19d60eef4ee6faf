using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Data;
using Hotpath.Api.Products;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.Api.Tests;

public sealed class ProductWriteTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task AnUpdateShowsAtOnceInTheItemTheFeaturedListAndThePagedList(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var id = 33; // not featured in the seed; its page below holds ids 21..40
        var pageUrl = "/api/products?page=2&pageSize=20";

        // Warm every cache the update must invalidate, and prove they are warm.
        await WarmAsync(client, $"/api/products/{id}");
        await WarmAsync(client, "/api/products/featured");
        await WarmAsync(client, pageUrl);

        var name = $"Renamed {Guid.NewGuid():N}";
        using var update = await client.SendAsync(HttpMethod.Put, $"/api/products/{id}", admin, new { name, description = "new", price = 12.34m, isFeatured = true });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var updated = (await update.Content.ReadFromJsonAsync<ProductDto>())!;
        Assert.Equal(name, updated.Name);

        using var item = await client.GetAsync($"/api/products/{id}");
        Assert.Equal(updated, await item.Content.ReadFromJsonAsync<ProductDto>());
        using var featured = await client.GetAsync("/api/products/featured");
        Assert.Contains(updated, (await featured.Content.ReadFromJsonAsync<List<ProductDto>>())!);
        using var page = await client.GetAsync(pageUrl);
        Assert.Contains(updated, (await page.Content.ReadFromJsonAsync<ProductPage>())!.Items);

        // And back out of the featured list.
        using var unfeature = await client.SendAsync(HttpMethod.Put, $"/api/products/{id}", admin, new { name, price = 12.34m, isFeatured = false });
        Assert.Equal(HttpStatusCode.OK, unfeature.StatusCode);
        var featuredAfter = (await client.GetFromJsonAsync<List<ProductDto>>("/api/products/featured"))!;
        Assert.DoesNotContain(featuredAfter, p => p.Id == id);
        var itemAfter = (await client.GetFromJsonAsync<ProductDto>($"/api/products/{id}"))!;
        Assert.False(itemAfter.IsFeatured);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ADeletedProductIs404AtOnceAndLeavesEveryList(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var created = await CreateAsync(client, admin, new { name = "To delete", price = 1m, isFeatured = true });

        await WarmAsync(client, $"/api/products/{created.Id}");
        await WarmAsync(client, "/api/products/featured");
        var totalBefore = (await client.GetFromJsonAsync<ProductPage>("/api/products?page=1&pageSize=1"))!.TotalCount;
        await WarmAsync(client, "/api/products?page=1&pageSize=1");

        using var delete = await client.SendAsync(HttpMethod.Delete, $"/api/products/{created.Id}", admin);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        using var gone = await client.GetAsync($"/api/products/{created.Id}");
        await gone.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.DoesNotContain((await client.GetFromJsonAsync<List<ProductDto>>("/api/products/featured"))!, p => p.Id == created.Id);
        Assert.Equal(totalBefore - 1, (await client.GetFromJsonAsync<ProductPage>("/api/products?page=1&pageSize=1"))!.TotalCount);

        using var again = await client.SendAsync(HttpMethod.Delete, $"/api/products/{created.Id}", admin);
        await again.AssertProblemAsync(HttpStatusCode.NotFound);
        using var updateGone = await client.SendAsync(HttpMethod.Put, $"/api/products/{created.Id}", admin, new { name = "x", price = 1m });
        await updateGone.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ACreateIs201WithLocationAndShowsAtOnceEvenWhereA404WasCached(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var first = await CreateAsync(client, admin, new { name = "First", price = 0m });

        // Ids are handed out in order: cache a 404 for the next one, then create it.
        var nextId = first.Id + 1;
        using var missing = await client.GetAsync($"/api/products/{nextId}");
        await missing.AssertProblemAsync(HttpStatusCode.NotFound);
        using var cached404 = await client.GetAsync($"/api/products/{nextId}");
        Assert.Equal("HIT", cached404.CacheHeader());
        var totalBefore = (await client.GetFromJsonAsync<ProductPage>("/api/products?page=1&pageSize=3"))!.TotalCount;

        using var create = await client.SendAsync(HttpMethod.Post, "/api/products", admin, new { name = "  Second  ", description = "d", price = 5.5m, isFeatured = true });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var second = (await create.Content.ReadFromJsonAsync<ProductDto>())!;
        Assert.Equal(nextId, second.Id);
        Assert.Equal("Second", second.Name);
        Assert.Equal($"/api/products/{nextId}", create.Headers.Location?.OriginalString);

        using var found = await client.GetAsync(create.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(second, await found.Content.ReadFromJsonAsync<ProductDto>());
        Assert.Contains(second, (await client.GetFromJsonAsync<List<ProductDto>>("/api/products/featured"))!);
        Assert.Equal(totalBefore + 1, (await client.GetFromJsonAsync<ProductPage>("/api/products?page=1&pageSize=3"))!.TotalCount);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WritesNeedAnAdminSession(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var user = await client.LoginAsync(ApiClient.Bob);
        var body = new { name = "Nope", price = 1m };
        var before = await client.StatsAsync();

        using var anonymous = await client.PostAsJsonAsync("/api/products", body);
        using var unknownToken = await client.SendAsync(HttpMethod.Post, "/api/products", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body);
        using var userCreate = await client.SendAsync(HttpMethod.Post, "/api/products", user, body);
        using var userUpdate = await client.SendAsync(HttpMethod.Put, "/api/products/5", user, body);
        using var userDelete = await client.SendAsync(HttpMethod.Delete, "/api/products/5", user);

        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        await unknownToken.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await userCreate.AssertProblemAsync(HttpStatusCode.Forbidden);
        await userUpdate.AssertProblemAsync(HttpStatusCode.Forbidden);
        await userDelete.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(before.DbCommands, (await client.StatsAsync()).DbCommands);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/products/5")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task EveryCreateEditAndDeleteShowsOnTheVeryNextReadOfTheItemTheFeaturedListAndEveryPage(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        const int pageSize = 25;
        var ids = (await ProductsAsync(app)).Select(p => p.Id).ToList();
        var (early, edited) = (ids[3], ids[30]); // on page 1 and page 2

        // A create where a 404 was cached: the new product is on the last page and in the featured list.
        // Ids are handed out in order after the last one created.
        var nextId = (await CreateAsync(client, admin, new { name = "Before the test's create", price = 1m })).Id + 1;
        await ReadEverythingTwiceAsync(client, pageSize, [nextId, edited, early]);
        var created = await CreateAsync(client, admin, new { name = "Created by the test", price = 3m, isFeatured = true });
        Assert.Equal(nextId, created.Id);
        await AssertEveryReadMatchesTheDatabaseAsync(app, client, pageSize, [nextId, edited, early]);

        // An edit into the featured list, then out of it again.
        foreach (var featured in new[] { true, false })
        {
            await ReadEverythingTwiceAsync(client, pageSize, [edited]);
            using var update = await client.SendAsync(HttpMethod.Put, $"/api/products/{edited}", admin, new { name = $"Edited, featured {featured}", price = 4m, isFeatured = featured });
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
            await AssertEveryReadMatchesTheDatabaseAsync(app, client, pageSize, [edited]);
        }

        // A delete on page 1 moves every later product one place back: each page's first product comes
        // from the page before, the last page shrinks.
        await ReadEverythingTwiceAsync(client, pageSize, [early, edited, nextId]);
        using var delete = await client.SendAsync(HttpMethod.Delete, $"/api/products/{early}", admin);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await AssertEveryReadMatchesTheDatabaseAsync(app, client, pageSize, [early, edited, nextId]);

        // And the created product goes again.
        await ReadEverythingTwiceAsync(client, pageSize, [nextId]);
        using var deleteCreated = await client.SendAsync(HttpMethod.Delete, $"/api/products/{nextId}", admin);
        Assert.Equal(HttpStatusCode.NoContent, deleteCreated.StatusCode);
        await AssertEveryReadMatchesTheDatabaseAsync(app, client, pageSize, [nextId]);
    }

    /// <summary>Reads every page (and one past the end), the featured list and the items twice, so every cache holds them.</summary>
    private static async Task ReadEverythingTwiceAsync(HttpClient client, int pageSize, int[] items)
    {
        for (var round = 0; round < 2; round++)
        {
            var pages = (await client.GetFromJsonAsync<ProductPage>($"/api/products?page=1&pageSize={pageSize}"))!.TotalPages;
            for (var page = 1; page <= pages + 1; page++)
            {
                using var response = await client.GetAsync($"/api/products?page={page}&pageSize={pageSize}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            using var featured = await client.GetAsync("/api/products/featured");
            Assert.Equal(HttpStatusCode.OK, featured.StatusCode);
            foreach (var id in items)
            {
                using var item = await client.GetAsync($"/api/products/{id}");
                Assert.Contains(item.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound });
                if (round == 1)
                {
                    Assert.Equal("HIT", item.CacheHeader());
                }
            }
        }
    }

    /// <summary>The first read after a write, of every page, the featured list and the items, is what the database holds.</summary>
    private static async Task AssertEveryReadMatchesTheDatabaseAsync(ApiFactory app, HttpClient client, int pageSize, int[] items)
    {
        var truth = await ProductsAsync(app);
        var pages = (truth.Count + pageSize - 1) / pageSize;
        for (var page = 1; page <= pages + 1; page++)
        {
            var read = (await client.GetFromJsonAsync<ProductPage>($"/api/products?page={page}&pageSize={pageSize}"))!;
            Assert.Equal(truth.Skip((page - 1) * pageSize).Take(pageSize), read.Items);
            Assert.Equal((truth.Count, pages), (read.TotalCount, read.TotalPages));
        }

        Assert.Equal(truth.Where(p => p.IsFeatured), (await client.GetFromJsonAsync<List<ProductDto>>("/api/products/featured"))!);
        foreach (var id in items)
        {
            using var item = await client.GetAsync($"/api/products/{id}");
            if (truth.Find(p => p.Id == id) is { } expected)
            {
                Assert.Equal(HttpStatusCode.OK, item.StatusCode);
                Assert.Equal(expected, await item.Content.ReadFromJsonAsync<ProductDto>());
            }
            else
            {
                await item.AssertProblemAsync(HttpStatusCode.NotFound);
            }
        }
    }

    /// <summary>Every product, read from the database itself.</summary>
    private static async Task<List<ProductDto>> ProductsAsync(ApiFactory app)
    {
        var contexts = app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return (await db.Products.AsNoTracking().OrderBy(p => p.Id).ToListAsync()).ConvertAll(ProductDto.From);
    }

    private static async Task WarmAsync(HttpClient client, string url)
    {
        using var first = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await client.GetAsync(url);
        Assert.Equal("HIT", second.CacheHeader());
    }

    private static async Task<ProductDto> CreateAsync(HttpClient client, string token, object body)
    {
        using var response = await client.SendAsync(HttpMethod.Post, "/api/products", token, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ProductDto>())!;
    }
}
