using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>The response cache's counters (hit, miss, bypass with its reason, not stored with its reason) and its own header.</summary>
public sealed class MetricsAndHeaderTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task HitsMissesBypassesAndRefusalsAreCountedWithTheirReasonNeverThePath(string server)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/items/{id}", (string id) => $"item {id}").CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/search", (string? q) => $"results {q}").CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).VaryByQuery("q"));
            a.MapGet("/cookie", (HttpContext c) =>
            {
                c.Response.Cookies.Append("seen", "1");
                return "with cookie";
            }).CacheResponse(TimeSpan.FromMinutes(1));
            a.MapMethods("/items/{id}", ["POST"], (string id) => $"posted {id}").CacheResponse(TimeSpan.FromMinutes(1));
        }, services: ResponseCacheTestApp.AddHeaderAuthentication);
        using var counts = Counts.Listen(app.App.Services.GetRequiredService<HotpathMetrics>().Meter);

        await app.GetBodyAsync("/items/secret-42");
        await app.GetBodyAsync("/items/secret-42");
        await app.GetBodyAsync("/items/secret-42");
        await app.GetBodyAsync("/search?q=a&unknown=1");
        await app.GetBodyAsync("/items/secret-42", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        await app.GetBodyAsync("/cookie");
        using (await app.GetAsync("/items/secret-42", method: HttpMethod.Post))
        {
        }

        Assert.Equal(2, counts.Get("hotpath.response_cache.requests", "result=hit"));
        Assert.Equal(2, counts.Get("hotpath.response_cache.requests", "result=miss"));
        Assert.Equal(1, counts.Get("hotpath.response_cache.requests", "result=bypass", "reason=unknown_query_key"));
        Assert.Equal(1, counts.Get("hotpath.response_cache.requests", "result=bypass", "reason=authenticated"));
        Assert.Equal(1, counts.Get("hotpath.response_cache.requests", "result=bypass", "reason=method"));
        Assert.Equal(1, counts.Get("hotpath.response_cache.not_stored", "reason=set_cookie"));
        Assert.DoesNotContain(counts.Keys, k => k.Contains("secret", StringComparison.Ordinal) || k.Contains("/items", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AStatusHeaderTheHandlerSetIsNotStoredSoAHitSaysHit(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/report", (HttpContext c) =>
            {
                c.Response.Headers["X-Cache"] = "MISS";
                return $"call {Interlocked.Increment(ref calls)}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var first = await app.GetAsync("/report");
        using var second = await app.GetAsync("/report");

        Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(first));
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(second));
        Assert.Equal("call 1", await second.Content.ReadAsStringAsync());
        Assert.Equal(1, calls);
    }

    /// <summary>Sums of every long measurement on one meter, by instrument and tags.</summary>
    internal sealed class Counts : IDisposable
    {
        private readonly ConcurrentDictionary<string, long> _sums = new();
        private readonly MeterListener _listener = new();

        public IEnumerable<string> Keys => _sums.Keys;

        public static Counts Listen(Meter meter)
        {
            var counts = new Counts();
            counts._listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            counts._listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var labels = new List<string>();
                foreach (var tag in tags)
                {
                    labels.Add($"{tag.Key}={tag.Value}");
                }

                labels.Sort(StringComparer.Ordinal);
                counts._sums.AddOrUpdate($"{instrument.Name}|{string.Join(',', labels)}", value, (_, v) => v + value);
            });
            counts._listener.Start();
            return counts;
        }

        public long Get(string instrument, params string[] labels) =>
            _sums.GetValueOrDefault($"{instrument}|{string.Join(',', labels.Order(StringComparer.Ordinal))}");

        public void Dispose() => _listener.Dispose();
    }
}
