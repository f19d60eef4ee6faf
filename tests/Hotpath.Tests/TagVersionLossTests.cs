using Hotpath.Internals;
using Hotpath.Testing;

namespace Hotpath.Tests;

/// <summary>
/// A tag's version key can disappear behind the cache's back: an <c>allkeys-*</c> eviction, a
/// <c>DEL</c> or <c>FLUSH</c>, a failover that loses the last write. Losing it must read as "every
/// entry recorded before is invalid", never as a fresh start that matches old entries again.
/// </summary>
public sealed class TagVersionLossTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnInvalidatedEntryStaysInvalidWhenItsTagVersionKeyIsLost(string server)
    {
        using var cache = TestServers.Cache(server, nameof(AnInvalidatedEntryStaysInvalidWhenItsTagVersionKeyIsLost), o => o.L1.Enabled = false);
        var tagged = new CacheEntryOptions { Tags = ["products"] };
        Assert.Equal("old", await cache.GetOrSetAsync("product:1:v1", 0, static (_, _) => ValueTask.FromResult("old"), tagged));
        await cache.InvalidateTagAsync("products");
        Assert.False((await cache.GetAsync<string>("product:1:v1")).Found);

        await DeleteTagKeyAsync(server, cache, "products");

        Assert.False((await cache.GetAsync<string>("product:1:v1")).Found, "the lost version key brought the invalidated entry back");
        Assert.Equal("new", await cache.GetOrSetAsync("product:1:v1", 0, static (_, _) => ValueTask.FromResult("new"), tagged));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnEntryWrittenBeforeItsTagWasEverInvalidatedIsInvalidOnceTheVersionKeyIsLost(string server)
    {
        // The tag's first version must not be a constant every lost key restarts at either: an entry that
        // recorded it could be the old value of an invalidation whose bump was the write that was lost.
        using var cache = TestServers.Cache(server, nameof(AnEntryWrittenBeforeItsTagWasEverInvalidatedIsInvalidOnceTheVersionKeyIsLost), o => o.L1.Enabled = false);
        var tagged = new CacheEntryOptions { Tags = ["rows"] };
        await cache.SetAsync("row:1:v1", "old", tagged);
        Assert.True((await cache.GetAsync<string>("row:1:v1")).Found);

        await DeleteTagKeyAsync(server, cache, "rows");

        Assert.False((await cache.GetAsync<string>("row:1:v1")).Found);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ALostVersionKeyIsRecreatedOnceForEveryReader(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(ALostVersionKeyIsRecreatedOnceForEveryReader));
        using var first = TestServers.NewInstance(server, prefix, o => o.L1.Enabled = false);
        using var second = TestServers.NewInstance(server, prefix, o => o.L1.Enabled = false);
        var tagged = new CacheEntryOptions { Tags = ["shared"] };

        // Two instances racing to recreate the missing version must agree on it, or each would void the other's entries.
        await Task.WhenAll(
            first.Cache.SetAsync("a:v1", "a", tagged).AsTask(),
            second.Cache.SetAsync("b:v1", "b", tagged).AsTask());
        Assert.Equal("b", (await first.Cache.GetAsync<string>("b:v1")).Value);
        Assert.Equal("a", (await second.Cache.GetAsync<string>("a:v1")).Value);
    }

    private static async Task DeleteTagKeyAsync(string server, HotpathCache cache, string tag)
    {
        var key = cache.Connection.KeyPrefix + HotpathCache.TagKeyPrefix + CacheKey.Escape(tag);
        Assert.True(await TestServers.Multiplexer(server).GetDatabase().KeyDeleteAsync(key), "the tag's version key was expected to exist");
    }
}
