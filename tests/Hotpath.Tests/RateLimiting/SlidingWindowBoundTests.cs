using System.Diagnostics;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Tests.RateLimiting;

/// <summary>
/// The sliding window's worst case, driven on purpose: a window filled at its very end, then steady
/// traffic through the next window. docs/rate-limiting.md derives the bound: at most
/// <c>2 × PermitLimit − 1</c> in any window-length span.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class SlidingWindowBoundTests
{
    private const int Limit = 10;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private static async Task<long> ServerMillisecondsAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    private static async Task WaitForServerTimeAsync(IDatabase db, long target)
    {
        var deadline = Stopwatch.StartNew();
        while (await ServerMillisecondsAsync(db) < target)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "The server's clock did not reach the target in time.");
            await Task.Delay(5);
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.Names), MemberType = typeof(TestServers))]
    public async Task ABurstAtAWindowsEndPlusSteadyTrafficAdmitsMoreThanTheLimitButNoMoreThanTheDerivedBound(string server)
    {
        var db = TestServers.Multiplexer(server).GetDatabase();
        var factory = RateLimiterKit.Factory(server, $"swbound:{Guid.NewGuid():N}");
        using var limiter = RateLimiterKit.Create(factory, RateLimiterKit.SlidingWindow, "alice", Limit, Window);
        var windowMs = (long)Window.TotalMilliseconds;
        var admitted = new List<long>();

        // The first decision starts window A at the server's current time.
        var start = await ServerMillisecondsAsync(db);
        using (var first = await limiter.AcquireAsync(1))
        {
            Assert.True(first.IsAcquired);
            admitted.Add(await ServerMillisecondsAsync(db));
        }

        // The rest of A's permits at its very end.
        await WaitForServerTimeAsync(db, start + windowMs - 150);
        for (var i = 0; i < Limit; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            if (lease.IsAcquired)
            {
                admitted.Add(await ServerMillisecondsAsync(db));
            }
        }

        // Steady attempts through window B, until a window-length after the burst.
        var end = start + (2 * windowMs) - 100;
        var bounded = Stopwatch.StartNew();
        while (await ServerMillisecondsAsync(db) < end)
        {
            Assert.True(bounded.Elapsed < TimeSpan.FromSeconds(15), "Window B did not end in time.");
            using var lease = await limiter.AcquireAsync(1);
            if (lease.IsAcquired)
            {
                admitted.Add(await ServerMillisecondsAsync(db));
            }

            await Task.Delay(10);
        }

        // The most admitted in any span of one window's length (half-open), by the server's clock.
        var max = 0;
        for (var i = 0; i < admitted.Count; i++)
        {
            max = Math.Max(max, admitted.Count(t => t >= admitted[i] && t < admitted[i] + windowMs));
        }

        Assert.True(max > Limit, $"The worst case should exceed the limit; it admitted {max} in one window-length span.");
        Assert.True(max <= (2 * Limit) - 1, $"{max} admitted in one window-length span, above the derived bound {(2 * Limit) - 1}.");
    }
}
