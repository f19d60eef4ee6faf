using System.Globalization;
using System.Net;
using Hotpath.Testing;
using Xunit.Abstractions;

namespace Hotpath.Api.Tests;

/// <summary>
/// What a cached read costs the cache server at steady state, with the sample's limits as they ship,
/// counted by a redis-server of the test's own (<c>INFO commandstats</c>), so no other client's commands count.
/// </summary>
public sealed class RedisRoundTripTests(ITestOutputHelper output)
{
    // What the rate-limit scripts call inside them: counted by commandstats, but not round trips.
    private static readonly string[] s_scriptInnerCommands = ["time", "hmget", "hset", "pexpire"];

    [RedisServerFact]
    public async Task ACachedReadCostsAtMostATenthOfARedisRoundTripAtSteadyState()
    {
        using var redis = await RedisProcess.StartAsync();
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = new ApiFactory(redis.Url, db, appRateLimits: true);
        var client = app.CreateClient();
        string[] urls = ["/api/products/featured", "/api/products?page=2&pageSize=20"];

        // Steady state: both entries cached, the response in the memory tier, the bucket leasing batches.
        await ReadAsync(client, urls, 100);
        var before = await CommandStatsAsync(redis);
        const int Rounds = 400;
        await ReadAsync(client, urls, Rounds);
        var after = await CommandStatsAsync(redis);

        var delta = after.Keys.ToDictionary(k => k, k => after[k] - before.GetValueOrDefault(k));
        var scripts = delta.GetValueOrDefault("evalsha") + delta.GetValueOrDefault("eval");
        var inner = s_scriptInnerCommands.Sum(delta.GetValueOrDefault);
        var roundTrips = delta.Where(d => d.Key != "info").Sum(d => d.Value) - inner;
        var requests = Rounds * urls.Length;

        output.WriteLine($"{requests} cached reads: {roundTrips} round trips ({scripts} scripts), {delta.Where(d => d.Key != "info").Sum(d => d.Value)} commands.");

        // Every script calls TIME once, and nothing else sent it: the inner commands all came from scripts.
        Assert.Equal(scripts, delta.GetValueOrDefault("time"));
        Assert.True(scripts > 0, "The /api bucket never leased: the limiter was not on.");
        Assert.True(roundTrips <= requests / 10, $"{roundTrips} round trips for {requests} cached reads: {string.Join(", ", delta.Where(d => d.Value > 0).Select(d => $"{d.Key}={d.Value}"))}.");
    }

    private static async Task ReadAsync(HttpClient client, string[] urls, int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            foreach (var url in urls)
            {
                using var response = await client.GetAsync(url);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
    }

    /// <summary>Calls per command since the server started, from <c>INFO commandstats</c> (<c>cmdstat_get:calls=12,…</c>).</summary>
    private static async Task<Dictionary<string, long>> CommandStatsAsync(RedisProcess redis)
    {
        var info = (string)(await redis.Command("INFO", "commandstats"))!;
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var value = line[(colon + 1)..].Split(',').First(p => p.StartsWith("calls=", StringComparison.Ordinal));
            calls[line["cmdstat_".Length..colon].ToLowerInvariant()] = long.Parse(value["calls=".Length..], CultureInfo.InvariantCulture);
        }

        return calls;
    }
}
