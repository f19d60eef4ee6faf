using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 7: concurrent misses on one key run the handler once; the others wait, with a bound.</summary>
public sealed class ConcurrencyTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ConcurrentMissesRunTheHandlerOnceAndTheOthersAreServedTheStoredResponse(string server)
    {
        var calls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/slow", async () =>
            {
                var call = Interlocked.Increment(ref calls);
                entered.TrySetResult();
                await release.Task;
                return $"call {call}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        var leader = app.GetBodyAsync("/slow");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var followers = Enumerable.Range(0, 7).Select(_ => app.GetBodyAsync("/slow")).ToArray();
        Assert.True(await Eventually.TrueAsync(() => app.Runtime.WaitingCount == 7), "the followers did not wait");
        release.SetResult();
        var results = await Task.WhenAll(followers.Prepend(leader)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("call 1", r.Body));
        Assert.Equal("MISS", results[0].CacheStatus);
        Assert.All(results.Skip(1), r => Assert.Equal("HIT", r.CacheStatus));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ABurstOfSimultaneousMissesRunsTheHandlerOnce(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/slow", async () =>
            {
                var call = Interlocked.Increment(ref calls);
                await Task.Delay(200);
                return $"call {call}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => app.GetBodyAsync("/slow"))).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("call 1", r.Body));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AfterAHotEntryIsInvalidatedTheFirstMissLeadsAndLaterRequestsWait(string server)
    {
        var calls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/hot", async () =>
            {
                var call = Interlocked.Increment(ref calls);
                if (call > 1)
                {
                    entered.TrySetResult();
                    await release.Task;
                }

                return $"call {call}";
            }).CacheResponse(TimeSpan.FromMinutes(1), "hot");
        });
        await app.GetBodyAsync("/hot");
        Assert.Equal("HIT", (await app.GetBodyAsync("/hot")).CacheStatus);

        await app.Cache.InvalidateTagAsync("hot");
        var refresh = app.GetBodyAsync("/hot");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var followers = Enumerable.Range(0, 5).Select(_ => app.GetBodyAsync("/hot")).ToArray();
        Assert.True(await Eventually.TrueAsync(() => app.Runtime.WaitingCount == 5), "the followers did not wait");
        release.SetResult();
        var results = await Task.WhenAll(followers.Prepend(refresh)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, calls);
        Assert.All(results, r => Assert.Equal("call 2", r.Body));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AWaitingRequestRunsTheHandlerItselfAfterTheBound(string server)
    {
        var calls = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/slow", async () =>
            {
                var call = Interlocked.Increment(ref calls);
                if (call == 1)
                {
                    await release.Task;
                }

                return $"call {call}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        }, cache: o => o.MissWaitTimeout = TimeSpan.FromMilliseconds(200));

        var leader = app.GetBodyAsync("/slow");
        Assert.True(await Eventually.TrueAsync(() => Volatile.Read(ref calls) == 1));
        var follower = await app.GetBodyAsync("/slow").WaitAsync(TimeSpan.FromSeconds(10));
        release.SetResult();
        await leader;

        Assert.Equal(("call 2", "MISS"), follower);
        Assert.Contains(app.Logs.Records, r => r.EventId.Id == 2004);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task DifferentKeysDoNotWaitForEachOther(string server)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/slow", async (int page) =>
            {
                if (page == 1)
                {
                    await release.Task;
                }

                return $"page {page}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        var blocked = app.GetBodyAsync("/slow?page=1");
        var other = await app.GetBodyAsync("/slow?page=2").WaitAsync(TimeSpan.FromSeconds(10));
        release.SetResult();
        await blocked;

        Assert.Equal(("page 2", "MISS"), other);
    }
}
