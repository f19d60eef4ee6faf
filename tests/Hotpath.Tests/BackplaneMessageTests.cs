using System.Collections.Concurrent;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Tests;

/// <summary>What the backplane publishes: which keys, tags or patterns changed, never a value.</summary>
public sealed class BackplaneMessageTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task BackplaneMessagesNameTheKeyOrTagAndNeverCarryAValue(string server)
    {
        using var cache = await TestServers.ReadyAsync(TestServers.Cache(server, nameof(BackplaneMessagesNameTheKeyOrTagAndNeverCarryAValue)));
        var messages = new ConcurrentQueue<string>();
        var channel = RedisChannel.Literal(cache.Connection.KeyPrefix + "_hotpath:backplane");
        var subscriber = TestServers.Multiplexer(server).GetSubscriber();
        await subscriber.SubscribeAsync(channel, (_, message) => messages.Enqueue(message.ToString()));
        try
        {
            const string secret = "s3cret-card-4111111111111111";
            var key = CacheKey.Create($"user:{7}:card:v1");

            await cache.SetAsync(key, secret, new CacheEntryOptions { Ttl = TimeSpan.FromMinutes(1), Tags = ["cards"] });
            await cache.SetAsync(key, new { number = secret }, TimeSpan.FromMinutes(1));
            await cache.GetOrSetAsync(CacheKey.Create($"user:{8}:card:v1"), _ => ValueTask.FromResult(secret), TimeSpan.FromMinutes(1));
            await cache.DeleteAsync(key);
            await cache.InvalidateTagAsync("cards");
            await cache.DeleteByPatternAsync(CacheKey.Pattern($"user:{7}:*"));

            // Every change was announced (so a value would have had its chance to appear) ...
            Assert.True(
                await Eventually.TrueAsync(() => messages.Count(m => m.EndsWith("|k|" + key, StringComparison.Ordinal)) >= 3 &&
                    messages.Any(m => m.EndsWith("|t|cards", StringComparison.Ordinal)) &&
                    messages.Any(m => m.Contains("|c|", StringComparison.Ordinal))),
                "the writes, the tag invalidation and the pattern deletion were announced: " + string.Join(", ", messages));

            // ... and none of the announcements carries it.
            Assert.DoesNotContain(messages, m => m.Contains("s3cret", StringComparison.Ordinal) || m.Contains("4111", StringComparison.Ordinal));
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }
}
