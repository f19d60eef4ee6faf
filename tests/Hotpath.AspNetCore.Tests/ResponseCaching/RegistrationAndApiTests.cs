using System.Security.Claims;
using Hotpath.AspNetCore.ResponseCaching;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Registration, the pipeline call, endpoint conventions, named policies, the MVC attribute and the status header.</summary>
public sealed class RegistrationAndApiTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Fact]
    public async Task UseHotpathResponseCacheWithoutTheRegistrationSaysWhatIsMissing()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o => o.RedisUrl = "none");
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.UseHotpathResponseCache());

        Assert.Contains("AddResponseCache()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADuplicatePolicyNameThrows()
    {
        var options = new HotpathResponseCacheOptions();
        options.AddPolicy("products", TimeSpan.FromSeconds(30), "products");

        Assert.Throws<ArgumentException>(() => options.AddPolicy("PRODUCTS", p => p.Expire(TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public async Task InvalidOptionsFailAtStartUp()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHotpath(configure: o => o.RedisUrl = "none").AddResponseCache(o => o.DefaultDuration = TimeSpan.Zero);
        await using var app = builder.Build();

        var error = Assert.Throws<HotpathConfigurationException>(() => app.UseHotpathResponseCache());

        Assert.Contains(nameof(HotpathResponseCacheOptions.DefaultDuration), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRegistrationSetsTheFrameworksLimitsAndStore()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHotpath(configure: o => o.RedisUrl = "none").AddResponseCache(o => o.AddPolicy("products", TimeSpan.FromSeconds(30)));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<OutputCacheOptions>>().Value;

        Assert.Equal(1024 * 1024, options.MaximumBodySize);
        Assert.True(options.UseCaseSensitivePaths);
        Assert.Equal("HotpathOutputCacheStore", provider.GetRequiredService<IOutputCacheStore>().GetType().Name);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task NamedPoliciesWorkThroughCacheResponseAndTheFrameworksCacheOutput(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/a", () => $"a {Interlocked.Increment(ref calls)}").CacheResponse("products");
            a.MapGet("/b", () => $"b {Interlocked.Increment(ref calls)}").CacheOutput("products");
        }, cache: o => o.AddPolicy("products", p => p.Expire(TimeSpan.FromMinutes(1)).Tag("products")));

        await app.GetBodyAsync("/a");
        await app.GetBodyAsync("/b");
        Assert.Equal(("a 1", "HIT"), await app.GetBodyAsync("/a"));
        Assert.Equal(("b 2", "HIT"), await app.GetBodyAsync("/b"));
        Assert.Equal(("b 2", "HIT"), await app.GetBodyAsync("/b", r => r.Headers.Add("Cookie", "x=1")));

        await app.Cache.InvalidateTagAsync("products");
        Assert.Equal(("a 3", "MISS"), await app.GetBodyAsync("/a"));
        Assert.Equal(("b 4", "MISS"), await app.GetBodyAsync("/b", r => r.Headers.Authorization = new("Bearer", "t")));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnUnknownPolicyNameFailsTheRequestWithTheName(string server)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/a", () => "a").CacheResponse("nope");
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.GetAsync("/a"));

        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AGroupConventionCachesEveryEndpointOfTheGroupAndOthersAreUntouched(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            var api = a.MapGroup("/api").CacheResponse(TimeSpan.FromMinutes(1), "api");
            api.MapGet("/one", () => $"one {Interlocked.Increment(ref calls)}");
            api.MapGet("/two", () => $"two {Interlocked.Increment(ref calls)}");
            a.MapGet("/plain", () => $"plain {Interlocked.Increment(ref calls)}");
        });

        await app.GetBodyAsync("/api/one");
        await app.GetBodyAsync("/api/two");
        await app.GetBodyAsync("/plain");

        Assert.Equal(("one 1", "HIT"), await app.GetBodyAsync("/api/one"));
        Assert.Equal(("two 2", "HIT"), await app.GetBodyAsync("/api/two"));
        Assert.Equal(("plain 4", null), await app.GetBodyAsync("/plain"));
        using var head = await app.GetAsync("/api/one", method: HttpMethod.Head);
        Assert.Equal("HIT", ResponseCacheTestApp.CacheStatus(head));
        Assert.DoesNotContain(app.StoredResponseKeys(), k => k.Contains("plain", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheAttributeCachesControllerActions(string server)
    {
        ProductsController.Calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapControllers();
        }, services: b =>
        {
            b.Services.AddControllers().AddApplicationPart(typeof(ProductsController).Assembly);
            ResponseCacheTestApp.AddHeaderAuthentication(b);
        });

        await app.GetBodyAsync("/mvc/products?page=1");
        var again = await app.GetBodyAsync("/mvc/products?page=1");
        var unknownKey = await app.GetBodyAsync("/mvc/products?page=1&x=1");
        await app.Cache.InvalidateTagAsync("products");
        var afterInvalidation = await app.GetBodyAsync("/mvc/products?page=1");
        await app.GetBodyAsync("/mvc/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var alice = await app.GetBodyAsync("/mvc/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var bob = await app.GetBodyAsync("/mvc/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "bob"));

        Assert.Equal(("products page 1 #1", "HIT"), again);
        Assert.Equal(("products page 1 #2", "MISS"), unknownKey);
        Assert.Equal(("products page 1 #3", "MISS"), afterInvalidation);
        Assert.Equal(("me alice #4", "HIT"), alice);
        Assert.Equal(("me bob #5", "MISS"), bob);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheStatusHeaderCanBeRenamedOrTurnedOff(string server)
    {
        await using var renamed = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/a", () => "a").CacheResponse(TimeSpan.FromMinutes(1));
        }, cache: o => o.CacheStatusHeaderName = "X-Hotpath-Cache");
        await using var off = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/a", () => "a").CacheResponse(TimeSpan.FromMinutes(1));
        }, cache: o => o.CacheStatusHeaderName = null);

        using var miss = await renamed.GetAsync("/a");
        using var hit = await renamed.GetAsync("/a");
        using var offMiss = await off.GetAsync("/a");
        using var offHit = await off.GetAsync("/a");

        Assert.Equal("MISS", miss.Headers.GetValues("X-Hotpath-Cache").Single());
        Assert.Equal("HIT", hit.Headers.GetValues("X-Hotpath-Cache").Single());
        Assert.False(offMiss.Headers.Contains("X-Cache"));
        Assert.False(offHit.Headers.Contains("X-Cache"));
        Assert.NotNull(offHit.Headers.Age);
    }
}

[ApiController]
[Route("mvc")]
public sealed class ProductsController : ControllerBase
{
    public static int Calls;

    [HttpGet("products")]
    [CacheResponse(Duration = 60, Tags = ["products"], VaryByQueryKeys = ["page"])]
    public string List(int page) => $"products page {page} #{Interlocked.Increment(ref Calls)}";

    [HttpGet("me")]
    [CacheResponse(Duration = 60, PerUser = true)]
    public string Me() => $"me {User.FindFirstValue(ClaimTypes.NameIdentifier)} #{Interlocked.Increment(ref Calls)}";
}
