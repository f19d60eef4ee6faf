using System.Text;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using StackExchange.Redis;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 10: entries are compact binary under the service cache's prefix and entry header.</summary>
public sealed class StoredFormTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnEntryIsTheHotpathHeaderThenTheBinaryResponseWithTheBodyVerbatim(string server)
    {
        var body = "{\"items\":[" + string.Join(',', Enumerable.Range(0, 200).Select(i => $"{{\"id\":{i}}}")) + "]}";
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/api/products", () => Microsoft.AspNetCore.Http.Results.Text(body, "application/json")).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).Tag("products").VaryByQuery("page"));
        });

        await app.GetBodyAsync("/api/products?page=1");

        var key = Assert.Single(app.StoredResponseKeys());
        Assert.Equal("response:GET:HTTP:LOCALHOST/api/products:V:hotpath=query=PAGE=1", key);
        byte[] stored = (await app.Database.StringGetAsync(app.KeyPrefix + key))!;
        var headerLength = Array.IndexOf(stored, (byte)'\n') + 1;
        Assert.Matches("^H1 g=[0-9]+ t=products@[0-9]+ c=[0-9]+ e=[0-9]+\n$", Encoding.ASCII.GetString(stored, 0, headerLength));
        var payload = stored.AsSpan(headerLength);
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        Assert.True(payload.IndexOf(bodyBytes) >= 0, "the body is not stored verbatim");
        Assert.True(payload.Length < bodyBytes.Length + 200, $"{payload.Length} bytes for a {bodyBytes.Length} byte body");
        Assert.NotEqual((byte)'{', payload[0]);
        Assert.DoesNotContain(Convert.ToBase64String(bodyBytes[..48]), Encoding.Latin1.GetString(payload), StringComparison.Ordinal);
        var ttl = await app.Database.KeyTimeToLiveAsync(app.KeyPrefix + key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromMinutes(1));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AVeryLongKeyIsStoredUnderAHash(string server)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/search", (string q) => q.Length.ToString()).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).VaryByQuery("q"));
        });

        var longValue = new string('x', 2000);
        await app.GetBodyAsync($"/search?q={longValue}");
        var again = await app.GetBodyAsync($"/search?q={longValue}");
        var other = await app.GetBodyAsync($"/search?q={longValue}y");

        Assert.Equal(("2000", "HIT"), again);
        Assert.Equal(("2001", "MISS"), other);
        Assert.All(app.StoredResponseKeys(), k => Assert.Matches("^response:h:[0-9a-f]{64}$", k));
    }
}
