using Hotpath.AspNetCore.ResponseCaching;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 5: equivalent requests share an entry, different ones never do.</summary>
public sealed class KeyTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    private static Task<ResponseCacheTestApp> StartEchoAsync(string server, Action<HotpathResponseCachePolicyBuilder> policy, Action<HotpathResponseCacheOptions>? options = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        var calls = 0;
        return ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/echo/{id}", (HttpContext context, string id) =>
                $"{context.Request.Host} {id} {context.Request.QueryString} {context.Request.Headers.Accept} #{Interlocked.Increment(ref calls)}")
                .CacheResponse(p => policy(p.Expire(TimeSpan.FromMinutes(1))));
        }, cache: options, test: test);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task QueryKeyOrderDoesNotMatter(string server)
    {
        await using var app = await StartEchoAsync(server, p => p.UnknownQueryKeys(UnknownQueryKeyHandling.Vary));

        var first = await app.GetBodyAsync("/echo/1?page=1&pageSize=10");
        var reordered = await app.GetBodyAsync("/echo/1?pageSize=10&page=1");
        var otherCase = await app.GetBodyAsync("/echo/1?PAGESIZE=10&Page=1");

        Assert.Equal("MISS", first.CacheStatus);
        Assert.Equal((first.Body, "HIT"), reordered);
        Assert.Equal((first.Body, "HIT"), otherCase);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task DifferentQueriesNeverShareAnEntry(string server)
    {
        await using var app = await StartEchoAsync(server, p => p.UnknownQueryKeys(UnknownQueryKeyHandling.Vary));

        // Repeated values keep their order (an endpoint may read them in order), an empty value differs
        // from no key, and a value that looks like a separator stays a value.
        string[] urls =
        [
            "/echo/1", "/echo/1?page=1", "/echo/1?page=2", "/echo/1?page=1&pageSize=10", "/echo/1?s=a&s=b", "/echo/1?s=b&s=a",
            "/echo/1?page=", "/echo/1?page=1%26pageSize%3D10", "/echo/1?page=1,2", "/echo/1?page=1&page=2", "/echo/1?a=1%7Cheader%3D",
        ];
        foreach (var url in urls)
        {
            var response = await app.GetBodyAsync(url);
            Assert.Equal("MISS", response.CacheStatus);
        }

        Assert.Equal(urls.Length, app.StoredResponseKeys().Count);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APolicyThatNamesNoQueryKeysLetsNoQueryCreateAnEntry(string server)
    {
        await using var app = await StartEchoAsync(server, _ => { });

        for (var i = 1; i <= 30; i++)
        {
            Assert.Equal("MISS", (await app.GetBodyAsync($"/echo/5?junk={i}")).CacheStatus);
        }

        Assert.Empty(app.StoredResponseKeys());

        // Without a query the endpoint is cached as usual.
        var plain = await app.GetBodyAsync("/echo/5");
        Assert.Equal((plain.Body, "HIT"), await app.GetBodyAsync("/echo/5"));
        Assert.Single(app.StoredResponseKeys());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task UnknownQueryKeysBypassTheCacheByDefaultWhenThePolicyNamesItsKeys(string server)
    {
        await using var app = await StartEchoAsync(server, p => p.VaryByQuery("page", "pageSize"));

        await app.GetBodyAsync("/echo/1?page=1&pageSize=10");
        var known = await app.GetBodyAsync("/echo/1?pageSize=10&page=1");
        var unknown = await app.GetBodyAsync("/echo/1?page=1&pageSize=10&utm=x");
        var unknownAgain = await app.GetBodyAsync("/echo/1?page=1&pageSize=10&utm=x");

        Assert.Equal("HIT", known.CacheStatus);
        Assert.Equal("MISS", unknown.CacheStatus);
        Assert.Equal("MISS", unknownAgain.CacheStatus);
        Assert.NotEqual(unknown.Body, unknownAgain.Body);
        Assert.Single(app.StoredResponseKeys());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task UnknownQueryKeysCanVaryTheKeyInstead(string server)
    {
        await using var app = await StartEchoAsync(server, p => p.VaryByQuery("page").UnknownQueryKeys(UnknownQueryKeyHandling.Vary));

        var a = await app.GetBodyAsync("/echo/1?page=1&filter=a");
        var b = await app.GetBodyAsync("/echo/1?page=1&filter=b");
        var aAgain = await app.GetBodyAsync("/echo/1?filter=a&page=1");

        Assert.Equal("MISS", a.CacheStatus);
        Assert.Equal("MISS", b.CacheStatus);
        Assert.NotEqual(a.Body, b.Body);
        Assert.Equal((a.Body, "HIT"), aAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SelectedHeadersVaryTheKey(string server)
    {
        await using var app = await StartEchoAsync(server, p => p.VaryByHeader("Accept"));

        var json = await app.GetBodyAsync("/echo/1", r => r.Headers.Add("Accept", "application/json"));
        var text = await app.GetBodyAsync("/echo/1", r => r.Headers.Add("Accept", "text/plain"));
        var none = await app.GetBodyAsync("/echo/1");
        var jsonAgain = await app.GetBodyAsync("/echo/1", r => r.Headers.Add("Accept", "application/json"));
        var otherHeader = await app.GetBodyAsync("/echo/1", r => { r.Headers.Add("Accept", "application/json"); r.Headers.Add("Accept-Language", "de"); });

        Assert.Equal("MISS", json.CacheStatus);
        Assert.Equal("MISS", text.CacheStatus);
        Assert.Equal("MISS", none.CacheStatus);
        Assert.Equal((json.Body, "HIT"), jsonAgain);
        Assert.Equal((json.Body, "HIT"), otherHeader);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task RouteValuesVaryTheKeyAndPathsAreCaseSensitive(string server)
    {
        await using var app = await StartEchoAsync(server, _ => { });

        var one = await app.GetBodyAsync("/echo/1");
        var two = await app.GetBodyAsync("/echo/2");
        var upper = await app.GetBodyAsync("/echo/ABC");
        var lower = await app.GetBodyAsync("/echo/abc");
        var oneAgain = await app.GetBodyAsync("/echo/1");

        Assert.Equal("MISS", two.CacheStatus);
        Assert.Equal("MISS", upper.CacheStatus);
        Assert.Equal("MISS", lower.CacheStatus);
        Assert.Contains(" abc ", lower.Body, StringComparison.Ordinal);
        Assert.Equal((one.Body, "HIT"), oneAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheHostIsPartOfTheKey(string server)
    {
        await using var app = await StartEchoAsync(server, _ => { });

        var a = await app.GetBodyAsync("http://a.example/echo/1");
        var b = await app.GetBodyAsync("http://b.example/echo/1");
        var aAgain = await app.GetBodyAsync("http://A.EXAMPLE/echo/1");

        Assert.Equal("MISS", b.CacheStatus);
        Assert.StartsWith("b.example", b.Body, StringComparison.Ordinal);
        Assert.Equal((a.Body, "HIT"), aAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheHostCanBeLeftOutOfTheKey(string server)
    {
        await using var app = await StartEchoAsync(server, _ => { }, o => o.VaryByHost = false);

        var a = await app.GetBodyAsync("http://a.example/echo/1");
        var b = await app.GetBodyAsync("http://b.example/echo/1");

        Assert.Equal((a.Body, "HIT"), b);
    }
}
