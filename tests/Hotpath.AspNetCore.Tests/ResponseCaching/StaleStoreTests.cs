using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>
/// The stale-set race for whole responses: a response computed from data read before a write must not
/// be stored after that write's invalidation, whichever instance made it, with the memory tier off too.
/// </summary>
public sealed class StaleStoreTests
{
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

        // Another instance writes the row and invalidates the tag, then the old answer goes out.
        row = "v2";
        await writer.Cache.InvalidateTagAsync("products");
        gate.SetResult();
        Assert.Equal(("list v1", "MISS"), await slow);

        // Neither instance may serve the old answer from the cache now.
        Assert.Equal(("list v2", "MISS"), await reader.GetBodyAsync("/api/products"));
        Assert.Equal(("list v2", "HIT"), await writer.GetBodyAsync("/api/products"));
    }
}
