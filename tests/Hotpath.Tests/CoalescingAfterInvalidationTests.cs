using Hotpath.Internals;
using Hotpath.Testing;

namespace Hotpath.Tests;

/// <summary>
/// Concurrent misses share one factory run, but a caller that arrives after an invalidation of the key
/// has returned must not share a run that started before it: that run may have read the old row, and
/// the caller began after the write was done.
/// </summary>
public sealed class CoalescingAfterInvalidationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static TheoryData<string, bool> ServersWithAndWithoutMemory
    {
        get
        {
            var data = new TheoryData<string, bool>();
            foreach (var server in TestServers.Names)
            {
                data.Add(server, true);
                data.Add(server, false);
            }

            return data;
        }
    }

    public static TheoryData<string> Servers => TestServers.Names;

    // A caller that finds another's lease waits this long before taking it over; short, so a test
    // that meets the held run's lease does not wait long.
    private static void Configure(HotpathOptions options, bool memory)
    {
        options.L1.Enabled = memory;
        options.LeaseWaitTimeout = TimeSpan.FromMilliseconds(200);
    }

    [Theory]
    [MemberData(nameof(ServersWithAndWithoutMemory))]
    public async Task AReaderArrivingAfterADeleteDoesNotShareAFactoryRunStartedBeforeIt(string server, bool memory)
    {
        var cache = TestServers.Cache(server, nameof(AReaderArrivingAfterADeleteDoesNotShareAFactoryRunStartedBeforeIt), o => Configure(o, memory));
        await AssertLateReaderSeesTheWriteAsync(cache, cache, "row:1", null, () => cache.DeleteAsync("row:1").AsTask());
    }

    [Theory]
    [MemberData(nameof(ServersWithAndWithoutMemory))]
    public async Task AReaderArrivingAfterASetDoesNotShareAFactoryRunStartedBeforeIt(string server, bool memory)
    {
        var cache = TestServers.Cache(server, nameof(AReaderArrivingAfterASetDoesNotShareAFactoryRunStartedBeforeIt), o => Configure(o, memory));
        await AssertLateReaderSeesTheWriteAsync(cache, cache, "row:1", null, () => cache.SetAsync("row:1", "new").AsTask());
    }

    [Theory]
    [MemberData(nameof(ServersWithAndWithoutMemory))]
    public async Task AReaderArrivingAfterATagInvalidationDoesNotShareAFactoryRunStartedBeforeIt(string server, bool memory)
    {
        var cache = TestServers.Cache(server, nameof(AReaderArrivingAfterATagInvalidationDoesNotShareAFactoryRunStartedBeforeIt), o => Configure(o, memory));
        await AssertLateReaderSeesTheWriteAsync(cache, cache, "rows:all", new CacheEntryOptions { Tags = ["rows"] }, () => cache.InvalidateTagAsync("rows").AsTask());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AReaderArrivingAfterAPatternDeletionDoesNotShareAFactoryRunStartedBeforeIt(string server)
    {
        var cache = TestServers.Cache(server, nameof(AReaderArrivingAfterAPatternDeletionDoesNotShareAFactoryRunStartedBeforeIt), o => Configure(o, memory: true));
        await AssertLateReaderSeesTheWriteAsync(cache, cache, "row:1", null, () => cache.DeleteByPatternAsync("row:*").AsTask());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AReaderArrivingAfterAnotherInstancesDeleteReachedItDoesNotShareAnOlderFactoryRun(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AReaderArrivingAfterAnotherInstancesDeleteReachedItDoesNotShareAnOlderFactoryRun));
        using var writer = TestServers.NewInstance(server, prefix, o => Configure(o, memory: true));
        using var reader = TestServers.NewInstance(server, prefix, o => Configure(o, memory: true));
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(writer.Cache.Memory!.IsTrusted && reader.Cache.Memory!.IsTrusted), Bound), "backplanes subscribed");
        await reader.Cache.SetAsync("marker", 1);

        await AssertLateReaderSeesTheWriteAsync(reader.Cache, writer.Cache, "row:1", null, async () =>
        {
            await writer.Cache.DeleteAsync("row:1");

            // Messages arrive in order: once the reader has dropped the marker, it has heard of the row too.
            await writer.Cache.DeleteAsync("marker");
            Assert.True(await Eventually.TrueAsync(() => Task.FromResult(!reader.Cache.Memory!.TryGet("marker", System.Diagnostics.Stopwatch.GetTimestamp(), out _)), Bound), "the backplane delivered");
        });
    }

    /// <summary>
    /// Starts a factory run on <paramref name="reader"/> that reads "old" and holds, runs the write, then
    /// asks again: the second caller must get "new" (without waiting for the held run), while the first,
    /// which began before the write, may get "old".
    /// </summary>
    private static async Task AssertLateReaderSeesTheWriteAsync(HotpathCache reader, HotpathCache writer, string key, CacheEntryOptions? options, Func<Task> write)
    {
        var database = "old";
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var early = reader.GetOrSetAsync(key, 0, async (_, _) =>
        {
            var seen = database;
            entered.SetResult();
            await release.Task;
            return seen;
        }, options).AsTask();
        try
        {
            await entered.Task.WaitAsync(Bound);
            database = "new";
            await write();

            var late = await reader.GetOrSetAsync(key, 0, (_, _) => ValueTask.FromResult(database), options).AsTask().WaitAsync(Bound);
            Assert.Equal("new", late);
        }
        finally
        {
            release.TrySetResult();
        }

        Assert.Equal("old", await early);
        Assert.Equal("new", await reader.GetOrSetAsync(key, 0, (_, _) => ValueTask.FromResult("factory ran again"), options));
        Assert.Equal("new", (await writer.GetAsync<string>(key)).Value);
    }
}
