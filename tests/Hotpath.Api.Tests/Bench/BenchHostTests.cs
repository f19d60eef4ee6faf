using System.Net;
using Hotpath.Bench.Host;
using Hotpath.Testing;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.Api.Tests.Bench;

/// <summary>
/// The engines bench/http/compare.sh measures Hotpath against, in bench/Hotpath.Bench.Host: the sample's
/// product reads behind ASP.NET Core's output cache on its Redis store, or with no cache at all.
/// </summary>
public sealed class BenchHostTests
{
    public static TheoryData<string, string> All => Backends.SingleServer;

    private const string Page = "/api/products?page=4&pageSize=6";

    [Theory]
    [MemberData(nameof(All))]
    public async Task WithOutputCacheTheSecondReadOfAPageComesFromTheRedisOutputCacheWithoutRunningTheHandler(string server, string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = BenchHostFactory.ForServer(server, db, "OutputCache");
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
    public async Task WithNoCacheEveryReadQueriesTheDatabase(string server, string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = BenchHostFactory.ForServer(server, db, "None");
        var client = app.CreateClient();

        var before = await client.StatsAsync();
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            responses.Add(await client.GetAsync(Page));
            responses.Add(await client.GetAsync("/api/products/featured"));
            responses.Add(await client.GetAsync("/api/products/9"));
        }

        using var missing = await client.GetAsync("/api/products/100000");
        using var invalid = await client.GetAsync("/api/products?page=0&pageSize=1000");
        var after = await client.StatsAsync();

        Assert.All(responses, r =>
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Null(r.CacheHeader());
            Assert.False(r.FromResponseCache());
        });
        await missing.AssertProblemAsync(HttpStatusCode.NotFound);
        await invalid.AssertProblemAsync(HttpStatusCode.BadRequest);

        // The page is two commands (count and rows), the featured list and the item one each, every time;
        // the unknown id one more, the invalid page none.
        Assert.Equal(before.DbCommands + (3 * 4) + 1, after.DbCommands);
        Assert.Equal((before.CacheHits, before.CacheMisses), (after.CacheHits, after.CacheMisses));
        Assert.Null(app.Services.GetService<IOutputCacheStore>());
        responses.ForEach(r => r.Dispose());
    }

    [Theory]
    [InlineData("outputcache", nameof(BenchEngine.OutputCache))]
    [InlineData(" OUTPUTCACHE ", nameof(BenchEngine.OutputCache))]
    [InlineData("None", nameof(BenchEngine.None))]
    public void TheEngineIsReadCaseInsensitively(string value, string expected)
    {
        Assert.Equal(expected, BenchSettings.Parse(value, "redis://127.0.0.1:6379").Engine.ToString());
    }

    [Theory]
    [InlineData(null, "redis://127.0.0.1:6379")]
    [InlineData("", "redis://127.0.0.1:6379")]
    [InlineData("Hotpath", "redis://127.0.0.1:6379")]
    [InlineData("OutputCache", null)]
    [InlineData("OutputCache", "none")]
    [InlineData("OutputCache", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001")]
    public void AnEngineThatCannotRunIsRefusedNamingTheSettingAndTheAcceptedValues(string? value, string? redisUrl)
    {
        var error = Assert.Throws<BenchConfigurationException>(() => BenchSettings.Parse(value, redisUrl));

        Assert.StartsWith("Bench:Engine ", error.Message, StringComparison.Ordinal);
        Assert.Contains("OutputCache", error.Message, StringComparison.Ordinal);
        Assert.Contains("None", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownEngineFailsStartUp()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = BenchHostFactory.ForServer(TestServers.Garnet, db, "Memcached");

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.IsType<BenchConfigurationException>(error.GetBaseException());
        Assert.Contains("Bench:Engine", error.GetBaseException().Message, StringComparison.Ordinal);
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
}
