using System.Net;
using Hotpath.Api.Products;

namespace Hotpath.Api.Tests;

[Collection(nameof(ObservabilityCollection))]
public sealed class MetricsTests
{
    private const string Hits = "hotpath_cache_hits_total";
    private const string Misses = "hotpath_cache_misses_total";
    private const string DbCommands = "hotpath_sample_db_commands_total";
    private const string CachedReads = "hotpath_sample_cache_reads_total";

    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task TheHitAndMissCountersFollowTheTryItSteps(string server, string database)
    {
        await using var db = await TestDatabase.CreateAsync(database);
        await using var app = ApiFactory.ForServer(server, db);
        var client = app.CreateClient();
        await app.Cache.DeleteAsync(ProductCacheKeys.Featured);

        // Step 1: MISS then HIT on the featured list. A MISS is two cache lookups in the sample: the
        // read that picks the X-Cache header, and GetOrSet's own read before it runs the query.
        var before = await PrometheusScrape.ReadAsync(client);
        using var miss = await client.GetAsync("/api/products/featured");
        var afterMiss = await PrometheusScrape.ReadAsync(client);
        using var hit = await client.GetAsync("/api/products/featured");
        var afterHit = await PrometheusScrape.ReadAsync(client);

        Assert.Equal("MISS", miss.CacheHeader());
        Assert.Equal("HIT", hit.CacheHeader());
        Assert.Equal(2, Delta(before, afterMiss, Misses, ("area", "products")));
        Assert.Equal(0, Delta(before, afterMiss, Hits, ("area", "products")));
        Assert.Equal(1, Delta(before, afterMiss, DbCommands));
        Assert.Equal(1, Delta(afterMiss, afterHit, Hits, ("area", "products")));
        Assert.Equal(0, Delta(afterMiss, afterHit, Misses, ("area", "products")));
        Assert.Equal(0, Delta(afterMiss, afterHit, DbCommands));
        Assert.Equal(1, Delta(before, afterHit, CachedReads, ("result", "miss")));
        Assert.Equal(1, Delta(before, afterHit, CachedReads, ("result", "hit")));

        // /metrics and /api/_stats count the same commands.
        var stats = await client.StatsAsync();
        Assert.Equal(stats.DbCommands, (await PrometheusScrape.ReadAsync(client)).Sum(DbCommands));

        // Step 3: an edit makes the next read of the product a MISS with the new data, then a HIT.
        var admin = await client.LoginAsync(ApiClient.Alice);
        using (var warm = await client.GetAsync("/api/products/42"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using (var update = await client.SendAsync(HttpMethod.Put, "/api/products/42", admin, new { name = "Brass Notebook, now featured", price = 12.5m, isFeatured = true }))
        {
            Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        }

        var afterEdit = await PrometheusScrape.ReadAsync(client);
        using var editedMiss = await client.GetAsync("/api/products/42");
        using var editedHit = await client.GetAsync("/api/products/42");
        var afterRead = await PrometheusScrape.ReadAsync(client);
        Assert.Equal("MISS", editedMiss.CacheHeader());
        Assert.Equal("HIT", editedHit.CacheHeader());
        Assert.Equal(2, Delta(afterEdit, afterRead, Misses, ("area", "product")));

        // The item is also response-cached: its second read is a hit of the whole response.
        Assert.Equal(1, Delta(afterEdit, afterRead, Hits, ("area", "response")));
        Assert.Equal(0, Delta(afterEdit, afterRead, Hits, ("area", "product")));
        Assert.Equal(1, Delta(afterEdit, afterRead, DbCommands));

        // Step 5: repeated reads are hits, the database is not asked, and the hit ratio climbs.
        using (var warm = await client.GetAsync("/api/products/featured"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var beforeRepeats = await PrometheusScrape.ReadAsync(client);
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.GetAsync("/api/products/featured");
            Assert.Equal("HIT", response.CacheHeader());
        }

        var afterRepeats = await PrometheusScrape.ReadAsync(client);
        Assert.Equal(20, Delta(beforeRepeats, afterRepeats, Hits, ("area", "products")));
        Assert.Equal(0, Delta(beforeRepeats, afterRepeats, Misses));
        Assert.Equal(0, Delta(beforeRepeats, afterRepeats, DbCommands));
        Assert.Equal(20, Delta(beforeRepeats, afterRepeats, CachedReads, ("result", "hit")));
        Assert.True(HitRatio(afterRepeats) > HitRatio(beforeRepeats));
    }

    [Fact]
    public async Task MetricsCarryTheCacheTheFrameworkAndTheRuntime()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(Hotpath.Testing.TestServers.Garnet, db);
        var client = app.CreateClient();
        await app.Cache.DeleteAsync(ProductCacheKeys.Featured);
        using (await client.GetAsync("/api/products/featured"))
        {
        }

        var scrape = await PrometheusScrape.ReadAsync(client);

        // The cache (counters and the server round-trip histogram with sub-millisecond buckets) ...
        Assert.True(scrape.Has(Misses));
        Assert.True(scrape.Has("hotpath_cache_operation_duration_seconds_bucket"));
        Assert.Contains("hotpath_cache_operation_duration_seconds_bucket{", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("le=\"0.0005\"", scrape.Text, StringComparison.Ordinal);

        // ... the sample's own counters, ASP.NET Core's request metrics and the runtime's.
        Assert.True(scrape.Sum(DbCommands) > 0);
        Assert.True(scrape.Has(CachedReads));
        Assert.True(scrape.Sum("http_server_request_duration_seconds_count", ("http_route", "/api/products/featured")) >= 1);
        Assert.True(scrape.Has("dotnet_gc_collections_total") || scrape.Has("dotnet_process_cpu_time_seconds_total"));

        // Keys never become labels: only their first segment does.
        Assert.DoesNotContain("products:featured", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(app.KeyPrefix, scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheApiLimiterExportsItsDecisionsButNotAPerRequestRepeatOfTheRequestMetrics()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(Hotpath.Testing.TestServers.Garnet, db);
        var client = app.CreateClient();
        using (await client.GetAsync("/api/products/featured"))
        {
        }

        var scrape = await PrometheusScrape.ReadAsync(client);

        Assert.True(scrape.Sum("aspnetcore_rate_limiting_requests_total") >= 1);
        Assert.True(scrape.Sum("hotpath_rate_limit_admitted_total", ("policy", "api")) >= 1);
        Assert.DoesNotContain("aspnetcore_rate_limiting_request_lease_duration", scrape.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_rate_limiting_active_request_leases", scrape.Text, StringComparison.Ordinal);
    }

    private static double Delta(PrometheusScrape from, PrometheusScrape to, string name, params (string Label, string Value)[] where) =>
        to.Sum(name, where) - from.Sum(name, where);

    private static double HitRatio(PrometheusScrape scrape)
    {
        var hits = scrape.Sum(Hits);
        var lookups = hits + scrape.Sum(Misses);
        return lookups == 0 ? 0 : hits / lookups;
    }
}
