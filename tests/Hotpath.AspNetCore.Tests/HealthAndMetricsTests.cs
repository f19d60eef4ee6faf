using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotpath.AspNetCore.Tests;

public sealed class HealthAndMetricsTests
{
    /// <summary>A host whose timeouts are short only where the server is meant to be unreachable.</summary>
    private static async Task<WebApplication> App(string redisUrl, TimeSpan? timeout = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o =>
        {
            o.RedisUrl = redisUrl;
            o.OperationTimeout = timeout ?? TestServers.OperationTimeout;
            o.ConnectTimeout = timeout ?? TestServers.OperationTimeout;
        });
        builder.Services.AddHotpath();
        var app = builder.Build();
        app.MapHealthChecks("/readyz");
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task TheHealthCheckIsHealthyWhenTheServerAnswersPing()
    {
        await using var app = await App(TestServers.Url(TestServers.Garnet));

        var response = await app.GetTestClient().GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheHealthCheckIsUnhealthyWhenTheServerIsUnreachable()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var app = await App($"redis://127.0.0.1:{port}", TimeSpan.FromMilliseconds(500));

        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Entries["hotpath"].Status);
        Assert.Contains("RedisConnectionException", report.Entries["hotpath"].Description, StringComparison.Ordinal);
        Assert.Null(report.Entries["hotpath"].Exception);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.GetTestClient().GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task HitsAndMissesAreCountedPerKeyAreaAndTier()
    {
        var cache = TestServers.Cache(TestServers.Garnet, nameof(HitsAndMissesAreCountedPerKeyAreaAndTier), o => o.L1.Enabled = false);
        var meter = cache.Metrics.Meter;
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var area = string.Empty;
            foreach (var tag in tags)
            {
                if (tag.Key == "area")
                {
                    area = (string)tag.Value!;
                }
            }

            counts.AddOrUpdate($"{instrument.Name}|{area}", value, (_, v) => v + value);
        });
        listener.Start();

        await cache.GetAsync<int>("product:1:v1");
        await cache.SetAsync("product:1:v1", 1);
        await cache.GetAsync<int>("product:1:v1");
        await cache.GetAsync<int>("product:1:v1");
        await cache.GetAsync<int>("user:7:profile:v1");

        Assert.Equal(2, counts.GetValueOrDefault("hotpath.cache.hits|product"));
        Assert.Equal(1, counts.GetValueOrDefault("hotpath.cache.misses|product"));
        Assert.Equal(1, counts.GetValueOrDefault("hotpath.cache.misses|user"));
        Assert.DoesNotContain(counts.Keys, k => k.Contains("product:1", StringComparison.Ordinal));
    }
}
