using System.Net;
using Hotpath.Api.Products;
using Hotpath.Testing;

namespace Hotpath.Api.Tests;

/// <summary>
/// Anonymous callers cannot mint response-cache entries: query keys an endpoint does not read and
/// forged <c>Host</c> headers store nothing on the sample as it ships.
/// </summary>
public sealed class ResponseCacheFloodingTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task JunkQueryKeysOnAnItemStoreNoResponse(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var id = Random.Shared.Next(1, 101);
        await app.Cache.InvalidateTagAsync(ProductCacheKeys.ListTag);

        for (var i = 1; i <= 30; i++)
        {
            using var response = await client.GetAsync($"/api/products/{id}?junk={i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.FromResponseCache());
        }

        Assert.Empty(await StoredFor(server, app, $"/api/products/{id}"));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ForgedHostHeadersAreRefusedBeforeTheCache(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        await app.Cache.InvalidateTagAsync(ProductCacheKeys.ListTag);

        for (var i = 1; i <= 20; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/products?page=1&pageSize=5");
            request.Headers.Host = $"tenant{i}.attacker.example";
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.DoesNotContain(await TestServers.KeysAsync(server, app.KeyPrefix + "*response*"), k => k.Contains("ATTACKER", StringComparison.OrdinalIgnoreCase));

        // The hosts the sample allows by default still work and are cached.
        using var allowed = await client.GetAsync("/api/products?page=1&pageSize=5");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using var again = await client.GetAsync("/api/products?page=1&pageSize=5");
        Assert.True(again.FromResponseCache());
    }

    private static async Task<List<string>> StoredFor(string server, ApiFactory app, string path) =>
        [.. (await TestServers.KeysAsync(server, app.KeyPrefix + "*response*")).Where(k => k.Contains(path + ":", StringComparison.Ordinal) || k.EndsWith(path, StringComparison.Ordinal))];
}
