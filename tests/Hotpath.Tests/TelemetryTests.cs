using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hotpath.Internals;
using Hotpath.Testing;

namespace Hotpath.Tests;

/// <summary>What spans and metric labels carry: the key's area, never the key, and a bounded number of areas.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task SpansCarryTheKeyAreaAndNeverTheKey()
    {
        using var testSource = new ActivitySource(nameof(TelemetryTests) + "." + Guid.NewGuid().ToString("N"));
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == HotpathMeter.Name || s.Name == testSource.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var cache = TestServers.Cache(TestServers.Garnet, nameof(SpansCarryTheKeyAreaAndNeverTheKey), o => o.L1.Enabled = false);
        var key = CacheKey.Create($"user:{"alice@example.com"}:profile:v1");

        ActivityTraceId trace;
        using (var root = testSource.StartActivity("test")!)
        {
            trace = root.TraceId;
            await cache.GetAsync<string>(key);
            await cache.GetOrSetAsync(key, _ => ValueTask.FromResult("profile of alice@example.com"));
            await cache.GetAsync<string>(key);
        }

        // Only this test's spans: other tests run in parallel on the same static source.
        var ours = spans.Where(s => s.TraceId == trace && s.Source.Name == HotpathMeter.Name).ToList();
        Assert.Contains(ours, s => s.OperationName == "hotpath.get");
        Assert.Contains(ours, s => s.OperationName == "hotpath.factory");
        Assert.All(ours, s => Assert.Equal("user", s.GetTagItem("hotpath.key_area")));
        foreach (var span in ours)
        {
            var text = string.Join('\n', [span.DisplayName, span.StatusDescription, .. span.TagObjects.Select(t => $"{t.Key}={t.Value}"), .. span.Events.Select(e => e.Name)]);
            Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AtMostSixtyFourAreasAreLabelledAndTheRestCountAsOther()
    {
        var cache = TestServers.Cache(TestServers.Garnet, nameof(AtMostSixtyFourAreasAreLabelledAndTheRestCountAsOther), o => o.L1.Enabled = false);
        var areas = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, cache.Metrics.Meter) && instrument.Name == "hotpath.cache.misses")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "area")
                {
                    areas.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
                }
            }
        });
        listener.Start();

        // A key whose first segment comes from user input would otherwise mint a label per user.
        for (var i = 0; i < 100; i++)
        {
            await cache.GetAsync<int>(CacheKey.Create($"{"tenant-" + i}:settings:v1"));
        }

        Assert.Equal(100, areas.Values.Sum());
        Assert.InRange(areas.Count, HotpathMetrics.MaxAreas - 2, HotpathMetrics.MaxAreas + 1);
        Assert.True(areas.GetValueOrDefault(HotpathMetrics.OtherArea) >= 100 - HotpathMetrics.MaxAreas, "the areas past the bound count as (other)");
    }
}
