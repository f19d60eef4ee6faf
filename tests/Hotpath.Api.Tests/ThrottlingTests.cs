using System.Net;
using System.Net.Http.Json;
using Hotpath.Testing;

namespace Hotpath.Api.Tests;

/// <summary>
/// The sample's own limits, end to end. Each test runs an app of its own (its own key prefix, so its
/// own quotas). On the in-process test server every request comes from the same unknown address.
/// </summary>
public sealed class ThrottlingTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheSixthLoginForOneEmailFromOneAddressIs429WhileOtherEmailsKeepTheirQuotaUntilTheAddressLimit(string server)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(server, db, appRateLimits: true);
        var client = app.CreateClient();

        // appsettings.json: 5 per (email, address) and 20 per address, per minute; wrong passwords count too.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var wrong = await LoginAsync(client, ApiClient.Alice, "not-it");
            await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("\"login-email-ip\";q=5;w=60", Header(wrong, "RateLimit-Policy"));
            Assert.Contains($"\"login-email-ip\";r={5 - attempt};", Header(wrong, "RateLimit"));
        }

        using var sixth = await LoginAsync(client, ApiClient.Alice, ApiClient.DemoPassword);
        await sixth.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(int.Parse(Header(sixth, "Retry-After")), 1, 60);
        Assert.Contains("\"login-ip\";q=20;w=60", Header(sixth, "RateLimit-Policy"));
        Assert.Contains("\"login-email-ip\";r=0;", Header(sixth, "RateLimit"));
        Assert.Contains(app.Logs.Records, r => r.EventId.Id == 1014);

        // Another email from the same address still gets in: 7 attempts so far from this address.
        Assert.NotEqual(string.Empty, await client.LoginAsync(ApiClient.Bob));
        for (var attempt = 8; attempt <= 20; attempt++)
        {
            using var other = await LoginAsync(client, $"guess{attempt % 4}@example.com", "not-it");
            await other.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        // The address's 21st attempt, with an email never tried, is refused by the per-address limit.
        using var twentyFirst = await LoginAsync(client, "carol@example.com", "not-it");
        await twentyFirst.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Contains("\"login-ip\";r=0;", Header(twentyFirst, "RateLimit"));
        Assert.InRange(int.Parse(Header(twentyFirst, "Retry-After")), 1, 60);
        Assert.DoesNotContain(ApiClient.DemoPassword, app.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiClient.Alice, app.Logs.AllText, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheWholeApiIsATokenBucketPerUserOrAddress(string server)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(server, db, new Dictionary<string, string>
        {
            ["RateLimits:Api:TokenLimit"] = "3",
            ["RateLimits:Api:TokensPerPeriod"] = "1",
            ["RateLimits:Api:ReplenishmentPeriod"] = "01:00:00",
            ["RateLimits:Api:BatchSize"] = "0", // exact: every token is one script run, and r counts each
        }, appRateLimits: true);
        var client = app.CreateClient();

        var bob = await client.LoginAsync(ApiClient.Bob);                         // the address's 1st token
        using var second = await client.GetAsync("/api/products/featured");       // 2nd
        using var third = await client.GetAsync("/api/products/1");               // 3rd
        using var fourth = await client.GetAsync("/api/products?page=1");         // bucket empty
        using var health = await client.GetAsync("/healthz");                     // not under /api
        using var bobsOwn = await client.SendAsync(HttpMethod.Get, "/api/me", bob); // Bob has a bucket of his own

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Contains("\"api\";q=3;", Header(second, "RateLimit-Policy"));
        Assert.Contains("\"api\";r=1;", Header(second, "RateLimit"));
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.Contains("\"api\";r=0;", Header(fourth, "RateLimit"));
        Assert.InRange(int.Parse(Header(fourth, "Retry-After")), 1, 3600);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bobsOwn.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task OneClientsThousandReadsOfTheFeaturedListAreNeverRefusedAndCostAtMostOneDatabaseQuery(string server)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(server, db, appRateLimits: true);
        var client = app.CreateClient();
        var before = await client.StatsAsync();

        // The lesson's 1000 requests, one after another from one client, on the limits as they ship.
        var statuses = new Dictionary<HttpStatusCode, int>();
        var withoutHeaders = 0;
        for (var i = 0; i < 1000; i++)
        {
            using var read = await client.GetAsync("/api/products/featured");
            statuses[read.StatusCode] = statuses.GetValueOrDefault(read.StatusCode) + 1;
            if (!Header(read, "RateLimit-Policy").Contains("\"api\";q=1200;w=12", StringComparison.Ordinal)
                || !Header(read, "RateLimit").Contains("\"api\";r=", StringComparison.Ordinal))
            {
                withoutHeaders++;
            }
        }

        var after = await client.StatsAsync();

        Assert.Equal(new Dictionary<HttpStatusCode, int> { [HttpStatusCode.OK] = 1000 }, statuses);
        Assert.Equal(0, withoutHeaders);
        Assert.InRange(after.DbCommands - before.DbCommands, 0, 1);
        Assert.InRange(after.CacheHits - before.CacheHits, 999, 1000);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheApiBucketStillRefusesOnceABurstHasEmptiedIt(string server)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(server, db, new Dictionary<string, string>
        {
            ["RateLimits:Api:TokenLimit"] = "120",
            ["RateLimits:Api:TokensPerPeriod"] = "1",
            ["RateLimits:Api:ReplenishmentPeriod"] = "01:00:00",
            ["RateLimits:Api:BatchSize"] = "20",
        }, appRateLimits: true);
        var client = app.CreateClient();

        var admitted = 0;
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 150; i++)
        {
            var read = await client.GetAsync("/api/products/featured");
            if (read.StatusCode == HttpStatusCode.OK)
            {
                admitted++;
                read.Dispose();
            }
            else if (refused is null)
            {
                refused = read;
            }
            else
            {
                read.Dispose();
            }
        }

        // One instance uses every token it leased before it goes back to exact decisions: the bucket, exactly.
        Assert.Equal(120, admitted);
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("\"api\";r=0;", Header(refused, "RateLimit"));
        refused.Dispose();
    }

    [Fact]
    public async Task ABatchLargerThanTheBucketStopsStartUpNamingTheSetting()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db, new Dictionary<string, string>
        {
            ["RateLimits:Api:TokenLimit"] = "10",
            ["RateLimits:Api:BatchSize"] = "50",
        }, appRateLimits: true);

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());

        Assert.Contains("RateLimits:Api:BatchSize", error.GetBaseException().Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task WithTheApiLimitTurnedOffOnlyTheLoginLimitsRemain(string server)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(server, db, new Dictionary<string, string>
        {
            ["RateLimits:Api:Enabled"] = "false",
            ["RateLimits:Api:TokenLimit"] = "1",
            ["RateLimits:Api:TokensPerPeriod"] = "1",
            ["RateLimits:Api:ReplenishmentPeriod"] = "01:00:00",
        }, appRateLimits: true);
        var client = app.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            using var read = await client.GetAsync("/api/products/featured");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.DoesNotContain("\"api\"", Header(read, "RateLimit-Policy"));
        }

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            using var wrong = await LoginAsync(client, ApiClient.Alice, "not-it");
            await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized);
        }

        using var sixth = await LoginAsync(client, ApiClient.Alice, ApiClient.DemoPassword);
        await sixth.AssertProblemAsync(HttpStatusCode.TooManyRequests);
    }

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string email, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new { email, password });

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : string.Empty;
}
