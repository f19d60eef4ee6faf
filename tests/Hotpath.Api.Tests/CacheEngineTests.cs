using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Caching;
using Hotpath.Api.Products;
using Hotpath.Testing;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.Api.Tests;

/// <summary>
/// <c>Caching:Engine</c>: the sample with ASP.NET Core's output cache on its Redis store, or with no cache,
/// instead of Hotpath's response cache (the engines the HTTP benchmark compares).
/// </summary>
public sealed class CacheEngineTests
{
    public static TheoryData<string, string> All => Backends.SingleServer;

    private const string Page = "/api/products?page=4&pageSize=6";

    [Theory]
    [MemberData(nameof(All))]
    public async Task WithOutputCacheTheSecondReadOfAPageComesFromTheRedisOutputCacheWithoutRunningTheHandler(string server, string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = ApiFactory.ForServer(server, db, Engine("OutputCache"));
        var client = app.CreateClient();

        using var first = await client.GetAsync(Page);
        var afterMiss = await client.StatsAsync();
        using var second = await client.GetAsync(Page);
        var afterHit = await client.StatsAsync();

        // The framework's Redis store answers, not Hotpath's response cache.
        var store = app.Services.GetRequiredService<IOutputCacheStore>();
        Assert.Equal("Microsoft.AspNetCore.OutputCaching.StackExchangeRedis", store.GetType().Namespace);
        var keys = await TestServers.KeysAsync(server, app.KeyPrefix + "output-cache:*");
        Assert.Contains(keys, k => k.Contains("__MSOCV_", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(("MISS", false), (first.CacheHeader(), first.FromResponseCache()));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(("HIT", true), (second.CacheHeader(), second.FromResponseCache()));

        // No database command, and the handler's value cache was not even asked.
        Assert.Equal(afterMiss, afterHit);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WithOutputCacheAProductWriteEvictsTheCachedPages(string server, string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = ApiFactory.ForServer(server, db, Engine("OutputCache"));
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        using (var warm = await client.GetAsync(Page))
        using (var hit = await client.GetAsync(Page))
        {
            Assert.True(hit.FromResponseCache());
        }

        // Product 20 is on page 4 of 6.
        using var update = await client.SendAsync(HttpMethod.Put, "/api/products/20", admin, new { name = "Renamed by the test", price = 1m });
        using var afterWrite = await client.GetAsync(Page);

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.False(afterWrite.FromResponseCache());
        var page = (await afterWrite.Content.ReadFromJsonAsync<ProductPage>())!;
        Assert.Contains(page.Items, p => p.Id == 20 && p.Name == "Renamed by the test");
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WithNoCacheEveryReadQueriesTheDatabase(string server, string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = ApiFactory.ForServer(server, db, Engine("None"));
        var client = app.CreateClient();

        var before = await client.StatsAsync();
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            responses.Add(await client.GetAsync(Page));
            responses.Add(await client.GetAsync("/api/products/featured"));
            responses.Add(await client.GetAsync("/api/products/9"));
        }

        var after = await client.StatsAsync();

        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Null(r.CacheHeader());
            Assert.False(r.FromResponseCache());
        });

        // The page is two commands (count and rows), the featured list and the item one each, every time.
        Assert.Equal(before.DbCommands + (3 * 4), after.DbCommands);
        Assert.Equal((before.CacheHits, before.CacheMisses), (after.CacheHits, after.CacheMisses));
        Assert.Null(app.Services.GetService<IOutputCacheStore>());
        responses.ForEach(r => r.Dispose());
    }

    [Theory]
    [InlineData(null, nameof(CacheEngine.Hotpath))]
    [InlineData("", nameof(CacheEngine.Hotpath))]
    [InlineData("hotpath", nameof(CacheEngine.Hotpath))]
    [InlineData(" OUTPUTCACHE ", nameof(CacheEngine.OutputCache))]
    [InlineData("None", nameof(CacheEngine.None))]
    public void TheEngineIsReadCaseInsensitivelyAndDefaultsToHotpath(string? value, string expected)
    {
        Assert.Equal(expected, CachingSettings.Parse(value, "redis://127.0.0.1:6379").Engine.ToString());
    }

    [Theory]
    [InlineData("Redis", "redis://127.0.0.1:6379")]
    [InlineData("OutputCache", null)]
    [InlineData("OutputCache", "none")]
    [InlineData("OutputCache", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001")]
    public void AnEngineThatCannotRunIsRefusedNamingTheSettingAndTheAcceptedValues(string value, string? redisUrl)
    {
        var error = Assert.Throws<CachingConfigurationException>(() => CachingSettings.Parse(value, redisUrl));

        Assert.StartsWith("Caching:Engine ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Hotpath, OutputCache", error.Message, StringComparison.Ordinal);
        Assert.Contains("None", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownEngineFailsStartUp()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db, Engine("Memcached"));

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.IsType<CachingConfigurationException>(error.GetBaseException());
        Assert.Contains("Caching:Engine", error.GetBaseException().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheOutputCacheConnectionCarriesTheUrlsCredentialsAndDatabase()
    {
        var options = OutputCacheRedisOptions.FromRedisUrl("rediss://app:p%40ss%3Aw%2Ford@cache.internal:6380/3");

        Assert.Equal(("app", "p@ss:w/ord", 3, true), (options.User, options.Password, options.DefaultDatabase, options.Ssl));
        Assert.Equal("cache.internal:6380", Assert.Single(options.EndPoints).ToString()?.Replace("Unspecified/", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void TheOutputCacheConnectionCarriesAConfigurationStringsCredentialsAndDatabase()
    {
        var options = OutputCacheRedisOptions.FromRedisUrl("cache.internal:6380,user=app,password=p@ss:w/ord,ssl=true,defaultDatabase=3");

        Assert.Equal(("app", "p@ss:w/ord", 3, true), (options.User, options.Password, options.DefaultDatabase, options.Ssl));
        Assert.Equal("cache.internal:6380", Assert.Single(options.EndPoints).ToString()?.Replace("Unspecified/", string.Empty, StringComparison.Ordinal));
        Assert.False(options.AbortOnConnectFail);
    }

    private static Dictionary<string, string> Engine(string engine) => new() { [CachingSettings.Setting] = engine };
}
