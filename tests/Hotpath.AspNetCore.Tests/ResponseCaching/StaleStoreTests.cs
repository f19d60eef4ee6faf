using System.Diagnostics.Metrics;
using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>
/// The stale-set race for whole responses: a response computed from data read before a write must not
/// be stored after that write's invalidation, whichever instance made it, with the memory tier off too.
/// </summary>
public sealed class StaleStoreTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    public static TheoryData<string, bool> AllCases()
    {
        var cases = new TheoryData<string, bool>();
        foreach (var server in TestServers.Names)
        {
            cases.Add(server, false);
            cases.Add(server, true);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public async Task AResponseReadBeforeAnotherInstancesWriteIsServedButNotStored(string server, bool memoryTier)
    {
        var row = "v1";
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pause = true;
        void Map(WebApplication a) =>
            a.MapGet("/api/products", async () =>
            {
                var read = row;
                if (pause)
                {
                    pause = false;
                    entered.TrySetResult();
                    await gate.Task;
                }

                return $"list {read}";
            }).CacheResponse(TimeSpan.FromMinutes(5), tags: "products");

        await using var reader = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            Map(a);
        }, hotpath: o => o.L1.Enabled = memoryTier);
        await using var writer = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            Map(a);
        }, hotpath: o =>
        {
            o.L1.Enabled = memoryTier;
            o.KeyPrefix = reader.KeyPrefix;
        });

        // The reader's handler has read the old row and is about to answer.
        var slow = reader.GetBodyAsync("/api/products");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var readerMemory = reader.App.Services.GetRequiredService<HotpathCache>().Memory;
        string? knownVersion = null;
        var knewVersion = readerMemory?.TryGetTagVersion("products", out knownVersion) ?? false;

        // Another instance writes the row and invalidates the tag, then the old answer goes out.
        row = "v2";
        await writer.Cache.InvalidateTagAsync("products");
        gate.SetResult();
        Assert.Equal(("list v1", "MISS"), await slow);

        // Another instance's invalidation reaches this one's memory tier (and the tag version it keeps)
        // over the backplane: wait for it, within its bound, before reading here.
        if (knewVersion)
        {
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(!readerMemory!.TryGetTagVersion("products", out var now) || now != knownVersion), TimeSpan.FromSeconds(10)), "the reader hears the writer's invalidation");
        }

        // Neither instance may serve the old answer from the cache now.
        Assert.Equal(("list v2", "MISS"), await reader.GetBodyAsync("/api/products"));
        Assert.Equal(("list v2", "HIT"), await writer.GetBodyAsync("/api/products"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AResponseIsRememberedInMemoryAndEvictedOnEveryInstanceByATagInvalidation(string server)
    {
        var row = "v1";
        void Map(WebApplication a) =>
            a.MapGet("/api/products", () => $"list {row}").CacheResponse(TimeSpan.FromMinutes(5), tags: "products");

        await using var first = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            Map(a);
        });
        await using var second = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            Map(a);
        }, hotpath: o => o.KeyPrefix = first.KeyPrefix);
        var secondCache = second.App.Services.GetRequiredService<HotpathCache>();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(secondCache.Memory!.IsTrusted), TimeSpan.FromSeconds(10)));
        long memoryHits = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, secondCache.Metrics.Meter) && instrument.Name == "hotpath.cache.hits")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "tier" && (string?)tag.Value == "l1")
                {
                    Interlocked.Add(ref memoryHits, value);
                }
            }
        });
        listener.Start();

        Assert.Equal(("list v1", "MISS"), await first.GetBodyAsync("/api/products"));
        Assert.Equal(("list v1", "HIT"), await second.GetBodyAsync("/api/products"));
        Assert.Equal(0, Interlocked.Read(ref memoryHits));
        // The first instance's store is announced over the backplane; a read racing that message is not
        // remembered, so the next one is, and from then on the response comes from memory.
        Assert.True(await Eventually.TrueAsync(async () =>
            await second.GetBodyAsync("/api/products") == ("list v1", "HIT") && Interlocked.Read(ref memoryHits) >= 1));

        row = "v2";
        await first.Cache.InvalidateTagAsync("products");

        Assert.True(await Eventually.TrueAsync(async () => (await second.GetBodyAsync("/api/products")).Body == "list v2", TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task WhileADeadInstancesClaimLastsOthersServeWithoutStoringThenItLapses(string server)
    {
        var calls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var dying = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/report", async () =>
            {
                entered.TrySetResult();
                await never.Task;
                return "never sent";
            }).CacheResponse(TimeSpan.FromMinutes(5));
        }, hotpath: o => o.LeaseDuration = TimeSpan.FromSeconds(5));
        await using var other = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/report", () => $"report {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(5));
        }, hotpath: o => o.KeyPrefix = dying.KeyPrefix);

        // The first instance claims the key and hangs, as if it had died mid-request.
        var hung = dying.GetBodyAsync("/report");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        try
        {
            // The other instance does not wait for it and does not overwrite its claim.
            Assert.Equal(("report 1", "MISS"), await other.GetBodyAsync("/report"));
            Assert.Equal(("report 2", "MISS"), await other.GetBodyAsync("/report"));

            // Once the claim's lease has lapsed, a miss stores again.
            Assert.True(
                await Eventually.TrueAsync(async () => (await other.GetBodyAsync("/report")).CacheStatus == "HIT", TimeSpan.FromSeconds(20)),
                "the dead instance's claim never lapsed");
        }
        finally
        {
            never.SetResult();
            await hung;
        }
    }
}
