using System.Text;
using Hotpath.Internals;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Tests;

/// <summary>The cache's behaviour, run against every RESP server the suite has (embedded Garnet always, Redis in CI).</summary>
public sealed class CacheContractTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    public sealed record Product(int Id, string Name, decimal Price);

    private static HotpathCache NewCache(string server, string name, Action<HotpathOptions>? configure = null) =>
        TestServers.Cache(server, name, configure);

    private static IDatabase Raw(string server, HotpathCache cache) =>
        TestServers.Multiplexer(server).GetDatabase().WithKeyPrefixFrom(cache);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task GetOfAMissingKeyIsAMissNotAnError(string server)
    {
        var cache = NewCache(server, nameof(GetOfAMissingKeyIsAMissNotAnError));

        var result = await cache.GetAsync<Product>("product:1:v1");

        Assert.False(result.Found);
        Assert.Null(result.Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SetThenGetReturnsAnEqualValue(string server)
    {
        var cache = NewCache(server, nameof(SetThenGetReturnsAnEqualValue));
        var product = new Product(42, "Kettle", 19.99m);

        await cache.SetAsync("product:42:v1", product, TimeSpan.FromMinutes(1));
        var result = await cache.GetAsync<Product>("product:42:v1");

        Assert.True(result.Found);
        Assert.Equal(product, result.Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task StoredValueIsReadableJsonAfterAOneLineHeader(string server)
    {
        var cache = NewCache(server, nameof(StoredValueIsReadableJsonAfterAOneLineHeader));
        await cache.SetAsync("product:7:v1", new Product(7, "Mug", 3m));

        var raw = (string?)await Raw(server, cache).StringGetAsync("product:7:v1");

        Assert.Matches("^H1 g=[0-9]+ c=[0-9]+ e=[0-9]+\n\\{\"id\":7,\"name\":\"Mug\",\"price\":3\\}$", raw);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task CachedNullIsAHitNotAMiss(string server)
    {
        var cache = NewCache(server, nameof(CachedNullIsAHitNotAMiss));

        await cache.SetAsync<Product?>("product:404:v1", null);
        var result = await cache.GetAsync<Product?>("product:404:v1");
        var calls = 0;
        var viaGetOrSet = await cache.GetOrSetAsync<Product?>("product:404:v1", _ => { calls++; return ValueTask.FromResult<Product?>(new Product(1, "x", 1)); });

        Assert.True(result.Found);
        Assert.Null(result.Value);
        Assert.Null(viaGetOrSet);
        Assert.Equal(0, calls);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task EntryBecomesAMissAfterItsTtl(string server)
    {
        var cache = NewCache(server, nameof(EntryBecomesAMissAfterItsTtl));
        await cache.SetAsync("short:1", "value", TimeSpan.FromMilliseconds(300));
        Assert.True((await cache.GetAsync<string>("short:1")).Found);

        var expired = await Eventually.TrueAsync(async () => !(await cache.GetAsync<string>("short:1")).Found, TimeSpan.FromSeconds(10));

        Assert.True(expired);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task DefaultTtlAppliesWhenNoneIsGiven(string server)
    {
        var cache = NewCache(server, nameof(DefaultTtlAppliesWhenNoneIsGiven), o => o.DefaultTtl = TimeSpan.FromSeconds(90));
        await cache.SetAsync("ttl:1", 1);

        var ttl = await cache.GetTimeToLiveAsync("ttl:1");

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90));
        Assert.Null(await cache.GetTimeToLiveAsync("ttl:missing"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task DeleteManyRemovesEveryKeyAndCountsThoseThatExisted(string server)
    {
        var cache = NewCache(server, nameof(DeleteManyRemovesEveryKeyAndCountsThoseThatExisted));
        for (var i = 0; i < 5; i++)
        {
            await cache.SetAsync($"item:{i}", i);
        }

        var deleted = await cache.DeleteAsync(["item:0", "item:1", "item:2", "item:missing"]);

        Assert.Equal(3, deleted);
        Assert.False((await cache.GetAsync<int>("item:0")).Found);
        Assert.False((await cache.GetAsync<int>("item:2")).Found);
        Assert.True((await cache.GetAsync<int>("item:3")).Found);
        Assert.True(await cache.DeleteAsync("item:4"));
        Assert.False(await cache.DeleteAsync("item:4"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ExistsIsTrueOnlyForAReadableCurrentValue(string server)
    {
        var cache = NewCache(server, nameof(ExistsIsTrueOnlyForAReadableCurrentValue));
        await cache.SetAsync("e:1", 1, new CacheEntryOptions { Tags = ["t"] });

        Assert.True(await cache.ExistsAsync("e:1"));
        Assert.False(await cache.ExistsAsync("e:2"));
        await cache.InvalidateTagAsync("t");
        Assert.False(await cache.ExistsAsync("e:1"));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ThousandConcurrentGetOrSetOnAColdKeyRunTheFactoryOnce(string server)
    {
        var cache = await TestServers.ReadyAsync(NewCache(server, nameof(ThousandConcurrentGetOrSetOnAColdKeyRunTheFactoryOnce)));
        var calls = 0;
        var gate = new TaskCompletionSource();

        var callers = Enumerable.Range(0, 1000).Select(_ => Task.Run(async () => await cache.GetOrSetAsync("hot:1", async ct =>
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            return new Product(1, "Hot", 1m);
        }))).ToArray();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.WaitersFor("hot:1") == 1000), TimeSpan.FromSeconds(30)), "the callers gather on one run");
        gate.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal(new Product(1, "Hot", 1m), r));
        Assert.True((await cache.GetAsync<Product>("hot:1")).Found);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task FactoryExceptionReachesEveryWaiterAndNothingIsCached(string server)
    {
        var cache = await TestServers.ReadyAsync(NewCache(server, nameof(FactoryExceptionReachesEveryWaiterAndNothingIsCached)));
        var gate = new TaskCompletionSource();
        var calls = 0;

        var callers = Enumerable.Range(0, 20).Select(_ => Task.Run(async () => await cache.GetOrSetAsync<int>("boom:1", async ct =>
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            throw new InvalidOperationException("database down");
        }))).ToArray();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.WaitersFor("boom:1") == 20), TimeSpan.FromSeconds(30)), "the callers gather on one run");
        gate.SetResult();

        foreach (var caller in callers)
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => caller);
            Assert.Equal("database down", ex.Message);
        }

        Assert.Equal(1, calls);
        Assert.False((await cache.GetAsync<int>("boom:1")).Found);
        Assert.True(await Raw(server, cache).StringGetAsync("boom:1") is { IsNull: true }, "the lease placeholder is released after a failed factory");
        Assert.Equal(5, await cache.GetOrSetAsync("boom:1", _ => ValueTask.FromResult(5)));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task InvalidatingOneTagMissesItsEntriesAndKeepsTheOthers(string server)
    {
        var cache = NewCache(server, nameof(InvalidatingOneTagMissesItsEntriesAndKeepsTheOthers));
        var products = new CacheEntryOptions { Tags = ["products"] };
        var users = new CacheEntryOptions { Tags = ["users"] };
        for (var i = 0; i < 50; i++)
        {
            await cache.SetAsync($"product:{i}:v1", i, products);
        }

        await cache.SetAsync("user:1:v1", 1, users);
        await cache.SetAsync("both:1", 1, new CacheEntryOptions { Tags = ["users", "products"] });
        await cache.SetAsync("plain:1", 1);

        await cache.InvalidateTagAsync("products");

        for (var i = 0; i < 50; i++)
        {
            Assert.False((await cache.GetAsync<int>($"product:{i}:v1")).Found);
        }

        Assert.False((await cache.GetAsync<int>("both:1")).Found);
        Assert.True((await cache.GetAsync<int>("user:1:v1")).Found);
        Assert.True((await cache.GetAsync<int>("plain:1")).Found);

        await cache.SetAsync("product:0:v1", 99, products);
        Assert.Equal(99, (await cache.GetAsync<int>("product:0:v1")).Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TagsFromUserInputAreEscapedIntoTheirOwnKey(string server)
    {
        var cache = NewCache(server, nameof(TagsFromUserInputAreEscapedIntoTheirOwnKey));
        await cache.SetAsync("a:1", 1, new CacheEntryOptions { Tags = ["a,b@1 c"] });
        await cache.SetAsync("b:1", 1, new CacheEntryOptions { Tags = ["a"] });

        await cache.InvalidateTagAsync("a,b@1 c");

        Assert.False((await cache.GetAsync<int>("a:1")).Found);
        Assert.True((await cache.GetAsync<int>("b:1")).Found);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task PatternDeletionTreatsGlobCharactersInUserPartsLiterally(string server)
    {
        var cache = NewCache(server, nameof(PatternDeletionTreatsGlobCharactersInUserPartsLiterally));
        string[] users = ["*", "?", "[ab]", "a", "b", "alice"];
        foreach (var user in users)
        {
            await cache.SetAsync(CacheKey.Create($"user:{user}:profile:v1"), user);
            await cache.SetAsync(CacheKey.Create($"user:{user}:orders:v1"), user);
        }

        var deleted = await cache.DeleteByPatternAsync(CacheKey.Pattern($"user:{"*"}:*"));
        Assert.Equal(2, deleted);
        deleted = await cache.DeleteByPatternAsync(CacheKey.Pattern($"user:{"[ab]"}:*"));
        Assert.Equal(2, deleted);
        deleted = await cache.DeleteByPatternAsync(CacheKey.Pattern($"user:{"?"}:*"));
        Assert.Equal(2, deleted);

        foreach (var user in new[] { "a", "b", "alice" })
        {
            Assert.True((await cache.GetAsync<string>(CacheKey.Create($"user:{user}:profile:v1"))).Found, user);
            Assert.True((await cache.GetAsync<string>(CacheKey.Create($"user:{user}:orders:v1"))).Found, user);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task PatternDeletionWorksInBatchesAndStaysInsideThePrefix(string server)
    {
        var cache = NewCache(server, nameof(PatternDeletionWorksInBatchesAndStaysInsideThePrefix), o => o.PatternBatchSize = 7);
        var neighbour = NewCache(server, nameof(PatternDeletionWorksInBatchesAndStaysInsideThePrefix));
        for (var i = 0; i < 40; i++)
        {
            await cache.SetAsync($"bulk:{i}", i);
        }

        await neighbour.SetAsync("bulk:1", 1);

        var deleted = await cache.DeleteByPatternAsync("bulk:*");

        Assert.Equal(40, deleted);
        Assert.True((await neighbour.GetAsync<int>("bulk:1")).Found);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task GarbageBytesAreAMissAndAreDeleted(string server)
    {
        var cache = NewCache(server, nameof(GarbageBytesAreAMissAndAreDeleted));
        var raw = Raw(server, cache);
        await raw.StringSetAsync("bad:1", new byte[] { 0xFF, 0x00, 0x13, 0x37 });
        // A header of the current generation (any later one is current too), so only the payload is wrong.
        await raw.StringSetAsync("bad:2", Encoding.UTF8.GetBytes("H1 g=9000000000000000\n{\"id\":\"not a number\""));

        var first = await cache.GetAsync<Product>("bad:1");
        var second = await cache.GetAsync<Product>("bad:2");

        Assert.False(first.Found);
        Assert.False(second.Found);
        Assert.True(await Eventually.TrueAsync(async () => !await raw.KeyExistsAsync("bad:1") && !await raw.KeyExistsAsync("bad:2"), TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task GetOrSetReplacesACorruptEntry(string server)
    {
        var cache = NewCache(server, nameof(GetOrSetReplacesACorruptEntry));
        await Raw(server, cache).StringSetAsync("bad:3", "not ours");

        var value = await cache.GetOrSetAsync("bad:3", _ => ValueTask.FromResult(3));

        Assert.Equal(3, value);
        Assert.Equal(3, (await cache.GetAsync<int>("bad:3")).Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task DeleteWhileTheFactoryRunsKeepsItsStaleResultOutOfTheCache(string server)
    {
        var cache = NewCache(server, nameof(DeleteWhileTheFactoryRunsKeepsItsStaleResultOutOfTheCache));
        var readDone = new TaskCompletionSource();
        var writerDone = new TaskCompletionSource();
        var database = "old";

        var reader = cache.GetOrSetAsync("row:1", async _ =>
        {
            var seen = database;
            readDone.SetResult();
            await writerDone.Task;
            return seen;
        }).AsTask();
        await readDone.Task;
        database = "new";
        await cache.DeleteAsync("row:1");
        writerDone.SetResult();

        Assert.Equal("old", await reader);
        Assert.False((await cache.GetAsync<string>("row:1")).Found);
        Assert.Equal("new", await cache.GetOrSetAsync("row:1", _ => ValueTask.FromResult(database)));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TagInvalidationWhileTheFactoryRunsKeepsItsResultFromBeingServed(string server)
    {
        var cache = NewCache(server, nameof(TagInvalidationWhileTheFactoryRunsKeepsItsResultFromBeingServed));
        var options = new CacheEntryOptions { Tags = ["rows"] };
        var readDone = new TaskCompletionSource();
        var writerDone = new TaskCompletionSource();

        var reader = cache.GetOrSetAsync("rows:all", 0, async (_, _) =>
        {
            readDone.SetResult();
            await writerDone.Task;
            return "old";
        }, options).AsTask();
        await readDone.Task;
        await cache.InvalidateTagAsync("rows");
        writerDone.SetResult();
        await reader;

        Assert.False((await cache.GetAsync<string>("rows:all")).Found);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnotherInstanceWaitsForTheValueInsteadOfRunningItsFactory(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnotherInstanceWaitsForTheValueInsteadOfRunningItsFactory));
        var first = NewCache(server, "a", o => o.KeyPrefix = prefix);
        var second = NewCache(server, "b", o => o.KeyPrefix = prefix);
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var secondCalls = 0;

        var leader = first.GetOrSetAsync("shared:1", async _ =>
        {
            started.SetResult();
            await release.Task;
            return "from first";
        }).AsTask();
        await started.Task;
        var follower = second.GetOrSetAsync("shared:1", _ =>
        {
            Interlocked.Increment(ref secondCalls);
            return ValueTask.FromResult("from second");
        }).AsTask();
        await Task.Delay(100);
        release.SetResult();

        Assert.Equal("from first", await leader);
        Assert.Equal("from first", await follower);
        Assert.Equal(0, secondCalls);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ACancelledWaiterLeavesWithoutCancellingTheOthers(string server)
    {
        var cache = await TestServers.ReadyAsync(NewCache(server, nameof(ACancelledWaiterLeavesWithoutCancellingTheOthers)));
        var release = new TaskCompletionSource();
        var factoryCancelled = false;
        using var cts = new CancellationTokenSource();

        var patient = cache.GetOrSetAsync("slow:1", async ct =>
        {
            await release.Task;
            factoryCancelled = ct.IsCancellationRequested;
            return 1;
        }).AsTask();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.WaitersFor("slow:1") == 1), TimeSpan.FromSeconds(10)));
        var impatient = cache.GetOrSetAsync("slow:1", _ => ValueTask.FromResult(2), cancellationToken: cts.Token).AsTask();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.WaitersFor("slow:1") == 2), TimeSpan.FromSeconds(10)));
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        release.SetResult();
        Assert.Equal(1, await patient);
        Assert.False(factoryCancelled);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task WriteDuringTheFactoryWinsOverTheFactoryResult(string server)
    {
        var cache = NewCache(server, nameof(WriteDuringTheFactoryWinsOverTheFactoryResult));
        var readDone = new TaskCompletionSource();
        var writerDone = new TaskCompletionSource();

        var reader = cache.GetOrSetAsync("row:2", async _ =>
        {
            readDone.SetResult();
            await writerDone.Task;
            return "old";
        }).AsTask();
        await readDone.Task;
        await cache.SetAsync("row:2", "new");
        writerDone.SetResult();
        await reader;

        Assert.Equal("new", (await cache.GetAsync<string>("row:2")).Value);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task RefreshSetsANewTtlOnAnExistingKeyOnly(string server)
    {
        var cache = NewCache(server, nameof(RefreshSetsANewTtlOnAnExistingKeyOnly));
        await cache.SetAsync("session:1", "s", TimeSpan.FromSeconds(5));

        Assert.True(await cache.RefreshAsync("session:1", TimeSpan.FromMinutes(30)));
        Assert.False(await cache.RefreshAsync("session:missing", TimeSpan.FromMinutes(30)));
        Assert.InRange((await cache.GetTimeToLiveAsync("session:1"))!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task RawPayloadsShareTagsWithTypedEntries(string server)
    {
        var cache = NewCache(server, nameof(RawPayloadsShareTagsWithTypedEntries));

        // Raw writes are guarded by the memory tier's invalidation counters, which count once the backplane is up.
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.Memory!.IsTrusted), TimeSpan.FromSeconds(10)));
        byte[] payload = [0, 1, 2, 255, (byte)'\n'];
        Assert.Null(await cache.GetBytesAsync("response:1", default));
        await cache.SetBytesAsync("response:1", payload, TimeSpan.FromMinutes(1), ["products"], default);

        Assert.Equal(payload, await cache.GetBytesAsync("response:1", default));
        await cache.InvalidateTagAsync("products");
        Assert.Null(await cache.GetBytesAsync("response:1", default));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARawPayloadComputedBeforeAnInvalidationIsNotStored(string server)
    {
        var cache = NewCache(server, nameof(ARawPayloadComputedBeforeAnInvalidationIsNotStored));

        // Raw writes are guarded by the memory tier's invalidation counters, which count once the backplane is up.
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(cache.Memory!.IsTrusted), TimeSpan.FromSeconds(10)));
        Assert.Null(await cache.GetBytesAsync("response:2", default));

        // The response was being computed when a write invalidated its tag: storing it would serve old data.
        await cache.InvalidateTagAsync("products");
        await cache.SetBytesAsync("response:2", new byte[] { 1 }, TimeSpan.FromMinutes(1), ["products"], default);

        Assert.Null(await cache.GetBytesAsync("response:2", default));
        await cache.SetBytesAsync("response:2", new byte[] { 2 }, TimeSpan.FromMinutes(1), ["products"], default);
        Assert.Equal(new byte[] { 2 }, await cache.GetBytesAsync("response:2", default));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AClaimedRawPayloadIsStoredOnlyIfTheKeyWasNotWrittenAndWithTheTagVersionsOfTheClaim(string server)
    {
        // The server-side guard, so it holds without the memory tier and across instances.
        var prefix = TestServers.UniquePrefix(nameof(AClaimedRawPayloadIsStoredOnlyIfTheKeyWasNotWrittenAndWithTheTagVersionsOfTheClaim));
        void Configure(HotpathOptions o)
        {
            o.KeyPrefix = prefix;
            o.L1.Enabled = false;
        }

        var cache = NewCache(server, string.Empty, Configure);
        var other = NewCache(server, string.Empty, Configure);
        var claimant = new Claimant(["products"]);

        Assert.Null(await cache.GetBytesAsync("response:deleted", default, claimant));
        await other.DeleteAsync("response:deleted");
        Assert.False(await cache.SetBytesIfLeasedAsync("response:deleted", new byte[] { 1 }, TimeSpan.FromMinutes(1), claimant.Take("response:deleted"), default));
        Assert.Null(await cache.GetBytesAsync("response:deleted", default));

        Assert.Null(await cache.GetBytesAsync("response:tagged", default, claimant));
        await other.InvalidateTagAsync("products");
        Assert.True(await cache.SetBytesIfLeasedAsync("response:tagged", new byte[] { 2 }, TimeSpan.FromMinutes(1), claimant.Take("response:tagged"), default));
        Assert.Null(await cache.GetBytesAsync("response:tagged", default));

        Assert.Null(await cache.GetBytesAsync("response:current", default, claimant));
        var lease = claimant.Take("response:current");
        Assert.Null(await other.GetBytesAsync("response:current", default, new Claimant(["products"])));
        Assert.True(await cache.SetBytesIfLeasedAsync("response:current", new byte[] { 3 }, TimeSpan.FromMinutes(1), lease, default));
        Assert.False(await cache.SetBytesIfLeasedAsync("response:current", new byte[] { 4 }, TimeSpan.FromMinutes(1), lease, default));
        Assert.Equal(new byte[] { 3 }, await other.GetBytesAsync("response:current", default));

        Assert.Null(await cache.GetBytesAsync("response:released", default, claimant));
        cache.ReleaseBytes("response:released", claimant.Take("response:released"));
        Assert.True(await Eventually.TrueAsync(async () => !await Raw(server, cache).KeyExistsAsync("response:released"), TimeSpan.FromSeconds(5)));
    }

    /// <summary>Keeps the leases a raw-payload miss hands out, by key.</summary>
    private sealed class Claimant(IReadOnlyList<string> tags) : IBytesClaimant
    {
        private readonly Dictionary<string, BytesLease> _leases = [];

        public IReadOnlyList<string>? Tags => tags;

        public void Claimed(string key, BytesLease lease) => _leases[key] = lease;

        public BytesLease Take(string key) => _leases.Remove(key, out var lease) ? lease : throw new InvalidOperationException($"No lease for {key}.");
    }
}
