using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotpath.Testing;

namespace Hotpath.Api.Tests;

[Collection(nameof(ObservabilityCollection))]
public sealed class ReadinessTests
{
    /// <summary>How long readiness may take to follow the server; it usually takes well under a second.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [RedisServerFact]
    public async Task ReadyzFollowsTheRedisServerWhileHealthzStaysUp()
    {
        foreach (var database in TestDatabase.Kinds)
        {
            using var redis = await RedisProcess.StartAsync();
            await using var db = await TestDatabase.CreateAsync(database);
            await using var app = new ApiFactory(redis.Url, db, new Dictionary<string, string>
            {
                // An outage is noticed within a second and the reconnect is retried often, as in production settings.
                ["Hotpath:OperationTimeout"] = "00:00:01",
                ["Hotpath:ConnectTimeout"] = "00:00:01",
            });
            var client = app.CreateClient();

            var ready = await WaitForReadinessAsync(client, HttpStatusCode.OK);
            Assert.Equal("Healthy", Status(ready, "hotpath"));
            Assert.Equal("Healthy", Status(ready, "database"));

            // A probe's SELECT 1 goes past EF Core, so it never shows in dbCommands.
            var commands = (await client.StatsAsync()).DbCommands;
            for (var i = 0; i < 3; i++)
            {
                using var probe = await client.GetAsync("/readyz");
                Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
            }

            Assert.Equal(commands, (await client.StatsAsync()).DbCommands);

            redis.Stop();
            var down = await WaitForReadinessAsync(client, HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Unhealthy", down.GetProperty("status").GetString());
            Assert.Equal("Unhealthy", Status(down, "hotpath"));
            Assert.Equal("Healthy", Status(down, "database"));

            // The API itself goes on from the database meanwhile.
            using (var read = await client.GetAsync("/api/products/featured"))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }

            await redis.RestartAsync();
            var back = await WaitForReadinessAsync(client, HttpStatusCode.OK);
            Assert.Equal("Healthy", Status(back, "hotpath"));
        }
    }

    [Fact]
    public async Task ReadyzReportsTheDatabaseWhenItIsGone()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db);
        var client = app.CreateClient();
        await WaitForReadinessAsync(client, HttpStatusCode.OK);

        var file = db.SqlitePath!;
        File.Move(file, file + ".away");
        var down = await WaitForReadinessAsync(client, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("Unhealthy", Status(down, "database"));
        Assert.Equal("Healthy", Status(down, "hotpath"));
        Assert.False(File.Exists(file), "a probe must not create an empty database");

        File.Move(file + ".away", file);
        await WaitForReadinessAsync(client, HttpStatusCode.OK);
    }

    /// <summary>Polls <c>/readyz</c> until it answers <paramref name="expected"/>, checking <c>/healthz</c> stays 200 on every round.</summary>
    private static async Task<JsonElement> WaitForReadinessAsync(HttpClient client, HttpStatusCode expected)
    {
        var clock = Stopwatch.StartNew();
        HttpStatusCode last;
        do
        {
            using (var live = await client.GetAsync("/healthz"))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            using var response = await client.GetAsync("/readyz");
            last = response.StatusCode;
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            if (last == expected)
            {
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }

            await Task.Delay(100);
        }
        while (clock.Elapsed < Bound);

        Assert.Fail($"/readyz still answered {(int)last} after {Bound.TotalSeconds} s; expected {(int)expected}.");
        return default;
    }

    private static string? Status(JsonElement report, string check) =>
        report.GetProperty("checks").GetProperty(check).GetProperty("status").GetString();
}
