using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Hotpath.Api.Products;

namespace Hotpath.Api.Tests;

public sealed class RedisUnreachableTests
{
    public static TheoryData<string> Databases => [.. TestDatabase.Kinds];

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task ReadsStillAnswerFromTheDatabaseAndLoginsAre503(string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = new ApiFactory($"redis://127.0.0.1:{ClosedPort()}", db);
        var client = app.CreateClient();

        foreach (var url in new[] { "/api/products/featured", "/api/products/3", "/api/products?page=1&pageSize=5", "/api/products/featured" })
        {
            var before = await client.StatsAsync();
            using var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("MISS", response.CacheHeader());
            Assert.True((await client.StatsAsync()).DbCommands > before.DbCommands, $"{url} was answered from the database");
        }

        Assert.Equal(20, (await client.GetFromJsonAsync<List<ProductDto>>("/api/products/featured"))!.Count);
        using var unknown = await client.GetAsync("/api/products/999999");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var login = await client.PostAsJsonAsync("/api/auth/login", new { email = ApiClient.Alice, password = ApiClient.DemoPassword });
        await login.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Contains(app.Logs.Records, r => r.EventId.Id == 1012);
        Assert.DoesNotContain(ApiClient.DemoPassword, app.Logs.AllText, StringComparison.Ordinal);
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>A loopback port nothing listens on.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
