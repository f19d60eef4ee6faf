using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rules 2 and 3: what is stored, by status, headers and size.</summary>
public sealed class StorageRuleTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task OnlyStatus200IsStoredByDefault(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/missing", () => Results.NotFound($"call {Interlocked.Increment(ref calls)}")).CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/created", () => Results.Text($"call {Interlocked.Increment(ref calls)}", statusCode: 201)).CacheResponse(TimeSpan.FromMinutes(1));
        });

        foreach (var path in new[] { "/missing", "/missing", "/created", "/created" })
        {
            using var response = await app.GetAsync(path);
            Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(response));
        }

        Assert.Equal(4, calls);
        // A miss claims its key with a placeholder that is given back in the background: wait for that, then nothing is left.
        Assert.True(await Eventually.TrueAsync(() => app.StoredResponseKeys().Count == 0), string.Join(", ", app.StoredResponseKeys()));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ConfiguredStatusesAreStored(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/missing", () => Results.NotFound($"call {Interlocked.Increment(ref calls)}")).CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/gone", () => Results.Text($"call {Interlocked.Increment(ref calls)}", statusCode: 410))
                .CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).CacheStatusCodes(200, 410));
        }, cache: o => o.CacheableStatusCodes.Add(404));

        var missing = await app.GetBodyAsync("/missing");
        using var missingAgain = await app.GetAsync("/missing");
        var gone = await app.GetBodyAsync("/gone");
        using var goneAgain = await app.GetAsync("/gone");

        Assert.Equal(System.Net.HttpStatusCode.NotFound, missingAgain.StatusCode);
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(missingAgain));
        Assert.Equal(System.Net.HttpStatusCode.Gone, goneAgain.StatusCode);
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(goneAgain));
        Assert.Equal(gone.Body, await goneAgain.Content.ReadAsStringAsync());
        Assert.Equal(2, calls);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AResponseThatSetsACookieIsNotStored(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/cookie", (HttpContext context) =>
            {
                context.Response.Cookies.Append("visitor", Interlocked.Increment(ref calls).ToString());
                return "hello";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        using var first = await app.GetAsync("/cookie");
        using var second = await app.GetAsync("/cookie");

        Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(second));
        Assert.Contains("visitor=2", second.Headers.GetValues("Set-Cookie").Single());
        Assert.Equal(2, calls);
        // A miss claims its key with a placeholder that is given back in the background: wait for that, then nothing is left.
        Assert.True(await Eventually.TrueAsync(() => app.StoredResponseKeys().Count == 0), string.Join(", ", app.StoredResponseKeys()));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AResponseMarkedNoStoreOrPrivateIsNotStored(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/cc/{value}", (HttpContext context, string value) =>
            {
                context.Response.Headers.CacheControl = value.Replace('_', ',');
                return $"call {Interlocked.Increment(ref calls)}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        foreach (var value in new[] { "no-store", "private", "public_no-store", "private_max-age=60" })
        {
            using var first = await app.GetAsync($"/cc/{value}");
            using var second = await app.GetAsync($"/cc/{value}");
            Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(second));
        }

        Assert.Equal(8, calls);
        // A miss claims its key with a placeholder that is given back in the background: wait for that, then nothing is left.
        Assert.True(await Eventually.TrueAsync(() => app.StoredResponseKeys().Count == 0), string.Join(", ", app.StoredResponseKeys()));

        using var publicFirst = await app.GetAsync("/cc/public_max-age=60");
        using var publicSecond = await app.GetAsync("/cc/public_max-age=60");
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(publicSecond));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ABodyLargerThanTheConfiguredMaximumIsNotStored(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/bytes/{size:int}", async (HttpContext context, int size) =>
            {
                Interlocked.Increment(ref calls);
                // Two writes, so the limit is crossed part-way through a body of unknown length.
                await context.Response.Body.WriteAsync(new byte[size / 2]);
                await context.Response.Body.WriteAsync(new byte[size - (size / 2)]);
            }).CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/declared/{size:int}", (int size) =>
            {
                Interlocked.Increment(ref calls);
                return Results.Bytes(new byte[size], "application/octet-stream");
            }).CacheResponse(TimeSpan.FromMinutes(1));
        }, cache: o => o.MaximumBodySize = 1000);

        using (await app.GetAsync("/bytes/1000"))
        using (var fits = await app.GetAsync("/bytes/1000"))
        {
            Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(fits));
            Assert.Equal(1000, (await fits.Content.ReadAsByteArrayAsync()).Length);
        }

        using (await app.GetAsync("/bytes/1001"))
        using (var tooLarge = await app.GetAsync("/bytes/1001"))
        {
            Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(tooLarge));
            Assert.Equal(1001, (await tooLarge.Content.ReadAsByteArrayAsync()).Length);
        }

        using (await app.GetAsync("/declared/1001"))
        using (var declared = await app.GetAsync("/declared/1001"))
        {
            Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(declared));
        }

        Assert.Equal(5, calls);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheDefaultMaximumIsOneMebibyte(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/bytes/{size:int}", async (HttpContext context, int size) =>
            {
                Interlocked.Increment(ref calls);
                await context.Response.Body.WriteAsync(new byte[size]);
            }).CacheResponse(TimeSpan.FromMinutes(1));
        });

        const int oneMebibyte = 1024 * 1024;
        using (await app.GetAsync($"/bytes/{oneMebibyte}"))
        using (var fits = await app.GetAsync($"/bytes/{oneMebibyte}"))
        {
            Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(fits));
        }

        using (await app.GetAsync($"/bytes/{oneMebibyte + 1}"))
        using (var tooLarge = await app.GetAsync($"/bytes/{oneMebibyte + 1}"))
        {
            Assert.Equal("MISS", ResponseCacheTestApp.CacheStatus(tooLarge));
        }

        Assert.Equal(3, calls);
    }
}
