using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Products;
using Hotpath.Internals;
using Hotpath.Testing;
using Xunit.Abstractions;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>Two instances of the sample on one cache server, one database and one key prefix, memory tier on.</summary>
[Collection(ConsistencyCollection.Name)]
public sealed class TwoInstanceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AWriteOnOneInstanceReachesTheOthersMemoryTierAndNeverFlipsBack(string server)
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var shared = new Dictionary<string, string> { ["Hotpath:KeyPrefix"] = TestServers.UniquePrefix("two-instances") };
        await using var a = ApiFactory.ForServer(server, db, shared);
        var clientA = a.CreateClient();
        await using var b = ApiFactory.ForServer(server, db, shared);
        var clientB = b.CreateClient();
        var memoryB = ((HotpathCache)b.Cache).Memory!;
        Assert.True(await Eventually.TrueAsync(() => memoryB.IsTrusted, Bound), "B's backplane never subscribed");
        var admin = await clientA.LoginAsync(ApiClient.Alice);
        const int id = 12;
        var key = ProductCacheKeys.Item(id);

        var delays = new List<TimeSpan>();
        for (var round = 1; round <= 5; round++)
        {
            // B holds the current row in its memory tier, so only an invalidation from A can make it let go.
            var old = await ReadAsync(clientB, id);
            await ReadAsync(clientB, id);
            Assert.True(memoryB.TryGet(key, Stopwatch.GetTimestamp(), out var entry), "B's read did not fill its memory tier");
            Assert.Equal(old, entry.Value);

            var name = $"Two instances round {round}";
            using var write = await clientA.SendAsync(HttpMethod.Put, $"/api/products/{id}", admin, new { name, price = (decimal)round, isFeatured = false });
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
            var written = Stopwatch.StartNew();

            // B shows the new row once the backplane has delivered A's invalidation...
            Assert.True(await Eventually.TrueAsync(async () => (await ReadAsync(clientB, id)).Name == name, Bound), $"B still served the old row {Bound} after A's write returned");
            delays.Add(written.Elapsed);

            // ...and from then on never the old one again, from its memory tier or the server.
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(name, (await ReadAsync(clientB, id)).Name);
            }

            Assert.True(memoryB.TryGet(key, Stopwatch.GetTimestamp(), out var refreshed), "B did not cache the new row");
            Assert.Equal(name, ((ProductDto)refreshed.Value!).Name);
        }

        output.WriteLine($"{server}: B showed A's write {string.Join(", ", delays.Select(d => $"{d.TotalMilliseconds:F1}"))} ms after it returned");
    }

    private static async Task<ProductDto> ReadAsync(HttpClient client, int id)
    {
        using var response = await client.GetAsync($"/api/products/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ProductDto>())!;
    }
}
