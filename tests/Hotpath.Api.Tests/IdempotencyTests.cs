using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Products;

namespace Hotpath.Api.Tests;

/// <summary><c>POST /api/products</c> honours <c>Idempotency-Key</c>.</summary>
public sealed class IdempotencyTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task ARetriedCreateWithTheSameKeyIsReplayedAndCreatesOneProduct(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var key = Guid.NewGuid().ToString();
        var body = new { name = $"Once {key[..8]}", price = 9.99m };
        var totalBefore = await TotalAsync(client, admin);

        using var first = await CreateAsync(client, admin, key, body);
        using var retry = await CreateAsync(client, admin, key, body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(totalBefore + 1, await TotalAsync(client, admin));
        var created = (await first.Content.ReadFromJsonAsync<ProductDto>())!;
        Assert.Equal(created, await client.GetFromJsonAsync<ProductDto>(first.Headers.Location));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheSameKeyWithAnotherBodyIs422AndWritesNothing(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var key = Guid.NewGuid().ToString();

        using var first = await CreateAsync(client, admin, key, new { name = "Original", price = 1m });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var totalAfterFirst = await TotalAsync(client, admin);
        using var changed = await CreateAsync(client, admin, key, new { name = "Changed", price = 1m });

        await changed.AssertProblemAsync(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(totalAfterFirst, await TotalAsync(client, admin));

        // Without a key nothing changes: every create runs.
        using var plain1 = await client.SendAsync(HttpMethod.Post, "/api/products", admin, new { name = "Plain", price = 1m });
        using var plain2 = await client.SendAsync(HttpMethod.Post, "/api/products", admin, new { name = "Plain", price = 1m });
        Assert.NotEqual(plain1.Headers.Location, plain2.Headers.Location);
    }

    private static async Task<HttpResponseMessage> CreateAsync(HttpClient client, string token, string key, object body)
    {
        using var request = ApiClient.Authorized(HttpMethod.Post, "/api/products", token, body);
        request.Headers.Add("Idempotency-Key", $"\"{key}\"");
        return await client.SendAsync(request);
    }

    /// <summary>The product count, read signed in so no shared cached response can answer it.</summary>
    private static async Task<int> TotalAsync(HttpClient client, string token)
    {
        using var response = await client.SendAsync(HttpMethod.Get, "/api/products?page=1&pageSize=1", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ProductPage>())!.TotalCount;
    }
}
