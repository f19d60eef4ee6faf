using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Data;
using Hotpath.Api.Products;
using Hotpath.Testing;

namespace Hotpath.Api.Tests;

public sealed class StartupTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task AFreshDatabaseIsCreatedAndSeededAndTheAppIsHealthy(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();

        using var health = await client.GetAsync("/healthz");
        var all = new List<ProductDto>();
        for (var page = 1; page <= 2; page++)
        {
            all.AddRange((await client.GetFromJsonAsync<ProductPage>($"/api/products?page={page}&pageSize=100"))!.Items);
        }

        var featured = (await client.GetFromJsonAsync<List<ProductDto>>("/api/products/featured"))!;
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(Enumerable.Range(1, 200), all.Select(p => p.Id));
        Assert.Equal(200, all.Select(p => p.Name).Distinct().Count());
        Assert.All(all, p => Assert.True(p.Price >= 0 && p.Description.Length > 0));
        Assert.Equal(20, featured.Count);
        Assert.Equal(all.Where(p => p.IsFeatured), featured);
        Assert.NotEqual(string.Empty, await client.LoginAsync(ApiClient.Alice));
        Assert.NotEqual(string.Empty, await client.LoginAsync(ApiClient.Bob));

        var stats = await client.StatsAsync();
        Assert.True(stats.DbCommands > 0 && stats.CacheMisses > 0);
    }

    [Fact]
    public async Task ARestartKeepsTheDataAndDoesNotSeedTwice()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using (var first = ApiFactory.ForServer(TestServers.Garnet, db))
        {
            var client = first.CreateClient();
            var admin = await client.LoginAsync(ApiClient.Alice);
            using var delete = await client.SendAsync(HttpMethod.Delete, "/api/products/1", admin);
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        await using var second = ApiFactory.ForServer(TestServers.Garnet, db);
        var page = (await second.CreateClient().GetFromJsonAsync<ProductPage>("/api/products?pageSize=1"))!;
        Assert.Equal(199, page.TotalCount);
        Assert.Equal(2, page.Items[0].Id);
    }

    [Fact]
    public async Task OutsideDevelopmentDemoUsersNeedAConfiguredPassword()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db, new Dictionary<string, string> { ["Seed:BobPassword"] = "bob-from-config" }, environment: "Production");
        var client = app.CreateClient();

        using var alice = await client.PostAsJsonAsync("/api/auth/login", new { email = ApiClient.Alice, password = ApiClient.DemoPassword });
        using var bobDemo = await client.PostAsJsonAsync("/api/auth/login", new { email = ApiClient.Bob, password = ApiClient.DemoPassword });

        await alice.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await bobDemo.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.NotEqual(string.Empty, await client.LoginAsync(ApiClient.Bob, "bob-from-config"));
    }

    [Fact]
    public async Task WithTheCacheDisabledReadsWorkAndLoginsAre503()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = new ApiFactory("none", db);
        var client = app.CreateClient();

        using var first = await client.GetAsync("/api/products/featured");
        using var second = await client.GetAsync("/api/products/featured");
        using var login = await client.PostAsJsonAsync("/api/auth/login", new { email = ApiClient.Alice, password = ApiClient.DemoPassword });

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("MISS", second.CacheHeader());
        await login.AssertProblemAsync(HttpStatusCode.ServiceUnavailable);
    }

    [Theory]
    [InlineData("mysql://root:s3cret-pw@db:3306/shop")]
    [InlineData("redis://:s3cret-pw@localhost:6379")]
    [InlineData("s3cret-pw")]
    [InlineData("postgres://user:s3cret-pw@/nodb")]
    [InlineData("postgres://user:s3cret-pw@host:5432/")]
    [InlineData("Host=;Password=s3cret-pw")]
    [InlineData("Hots=localhost;Password=s3cret-pw")]
    public async Task AnInvalidDatabaseUrlFailsStartUpNamingTheSettingButNotThePassword(string value)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = new ApiFactory(TestServers.Url(TestServers.Garnet), db, new Dictionary<string, string> { ["DATABASE_URL"] = value });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        var text = error.ToString();
        Assert.Contains("DATABASE_URL", text);
        Assert.Contains("postgres://", text);
        Assert.DoesNotContain("s3cret-pw", text);
        Assert.IsType<DatabaseConfigurationException>(error.GetBaseException());
    }

    [Fact]
    public async Task APostgresUrlWorksAsWellAsAConnectionString()
    {
        if (!TestDatabase.PostgresAvailable)
        {
            return; // Needs HOTPATH_TEST_POSTGRES; the URL parsing itself is covered in DatabaseSettingsTests.
        }

        await using var db = await TestDatabase.CreateAsync(TestDatabase.Postgres, postgresUrlForm: true);
        Assert.StartsWith("postgres://", db.DatabaseUrl, StringComparison.Ordinal);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db);

        var featured = await app.CreateClient().GetFromJsonAsync<List<ProductDto>>("/api/products/featured");

        Assert.Equal(20, featured!.Count);
    }
}
