using System.Security.Claims;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 4: an authenticated request never uses a shared entry; per-user caching is opt-in and keyed by user.</summary>
public sealed class AuthenticationTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    private static string WhoAmI(HttpContext context, ref int calls) =>
        $"{context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous"} {Interlocked.Increment(ref calls)}";

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARequestWithAnAuthorizationHeaderIsNeitherServedNorStored(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/data", (HttpContext context) =>
                $"{context.Request.Headers.Authorization} {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        });

        var anonymous = await app.GetBodyAsync("/data");
        var authorized = await app.GetBodyAsync("/data", r => r.Headers.Authorization = new("Bearer", "alice-token"));
        var authorizedAgain = await app.GetBodyAsync("/data", r => r.Headers.Authorization = new("Bearer", "alice-token"));
        var anonymousAgain = await app.GetBodyAsync("/data");

        Assert.Equal((" 1", "MISS"), anonymous);
        Assert.Equal(("Bearer alice-token 2", "MISS"), authorized);
        Assert.Equal(("Bearer alice-token 3", "MISS"), authorizedAgain);
        Assert.Equal((" 1", "HIT"), anonymousAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnAuthenticatedUserIsNeitherServedNorStoredWhenTheCacheRunsAfterAuthentication(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/data", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(TimeSpan.FromMinutes(1));
        }, services: ResponseCacheTestApp.AddHeaderAuthentication);

        var anonymous = await app.GetBodyAsync("/data");
        var alice = await app.GetBodyAsync("/data", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var anonymousAgain = await app.GetBodyAsync("/data");

        Assert.Equal(("anonymous 1", "MISS"), anonymous);
        Assert.Equal(("alice 2", "MISS"), alice);
        Assert.Equal(("anonymous 1", "HIT"), anonymousAgain);
    }

    // aspnetcore issue 67268: cookie authentication with the cache placed before UseAuthentication.
    [Theory]
    [MemberData(nameof(Servers))]
    public async Task WithTheCacheBeforeCookieAuthenticationASignedInResponseIsNeverServedToAnotherUser(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.UseAuthentication();
            ResponseCacheTestApp.MapLogin(a);
            a.MapGet("/data", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(TimeSpan.FromMinutes(1));
        }, services: ResponseCacheTestApp.AddCookieAuthentication);
        var aliceCookie = await app.SignInAsync("alice");
        var bobCookie = await app.SignInAsync("bob");

        var alice = await app.GetBodyAsync("/data", r => r.Headers.Add("Cookie", aliceCookie));
        var anonymous = await app.GetBodyAsync("/data");
        var bob = await app.GetBodyAsync("/data", r => r.Headers.Add("Cookie", bobCookie));
        var anonymousAgain = await app.GetBodyAsync("/data");
        var aliceAgain = await app.GetBodyAsync("/data", r => r.Headers.Add("Cookie", aliceCookie));

        Assert.Equal(("alice 1", "MISS"), alice);
        Assert.Equal(("anonymous 2", "MISS"), anonymous);
        Assert.Equal(("bob 3", "MISS"), bob);
        Assert.Equal(("anonymous 2", "HIT"), anonymousAgain);
        Assert.Equal(("alice 4", "MISS"), aliceAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheUserIsRecheckedAtStoreTimeSoAnAuthenticationTheLookupCannotSeeIsNotStored(string server)
    {
        // The header scheme is neither an Authorization header nor a cookie: only the store-time check,
        // after UseAuthentication has run, can see that the request is signed in.
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.UseAuthentication();
            a.MapGet("/data", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(TimeSpan.FromMinutes(1));
        }, services: ResponseCacheTestApp.AddHeaderAuthentication);

        var alice = await app.GetBodyAsync("/data", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var anonymous = await app.GetBodyAsync("/data");
        var anonymousAgain = await app.GetBodyAsync("/data");

        Assert.Equal(("alice 1", "MISS"), alice);
        Assert.Equal(("anonymous 2", "MISS"), anonymous);
        Assert.Equal(("anonymous 2", "HIT"), anonymousAgain);
        Assert.Contains(app.Logs.Records, r => r.EventId.Id == 2002);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APerUserPolicyGivesEachUserTheirOwnEntry(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            ResponseCacheTestApp.MapLogin(a);
            a.MapGet("/me", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, services: ResponseCacheTestApp.AddCookieAuthentication);
        var aliceCookie = await app.SignInAsync("alice");
        var bobCookie = await app.SignInAsync("bob");

        var alice = await app.GetBodyAsync("/me", r => r.Headers.Add("Cookie", aliceCookie));
        var bob = await app.GetBodyAsync("/me", r => r.Headers.Add("Cookie", bobCookie));
        var anonymous = await app.GetBodyAsync("/me");
        var aliceAgain = await app.GetBodyAsync("/me", r => r.Headers.Add("Cookie", aliceCookie));
        var bobAgain = await app.GetBodyAsync("/me", r => r.Headers.Add("Cookie", bobCookie));
        var anonymousAgain = await app.GetBodyAsync("/me");

        Assert.Equal(("alice 1", "MISS"), alice);
        Assert.Equal(("bob 2", "MISS"), bob);
        Assert.Equal(("anonymous 3", "MISS"), anonymous);
        Assert.Equal(("alice 1", "HIT"), aliceAgain);
        Assert.Equal(("bob 2", "HIT"), bobAgain);
        Assert.Equal(("anonymous 3", "HIT"), anonymousAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APerUserPolicyUsesTheConfiguredClaim(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/me", (HttpContext context) => $"{context.User.FindFirstValue("sub")} {Interlocked.Increment(ref calls)}")
                .CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, cache: o => o.UserIdClaimType = "sub", services: ResponseCacheTestApp.AddHeaderAuthentication);

        await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var again = await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));

        Assert.Equal(("sub-alice 1", "HIT"), again);
        Assert.Contains(app.StoredResponseKeys(), k => k.Contains("user=sub-alice", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task UserIdsAreEscapedSoNoIdCanImitateAnotherKey(string server)
    {
        // Unescaped, user "a|query=X=1" with no query and user "a" with ?x=1 would build the same key.
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/me", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, services: ResponseCacheTestApp.AddHeaderAuthentication);

        var plain = await app.GetBodyAsync("/me?x=1", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "a"));
        var crafted = await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "a|query=X=1"));
        var separator = await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "a\u001eb"));
        var separatorAgain = await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "a\u001eb"));

        Assert.Equal(("a 1", "MISS"), plain);
        Assert.Equal(("a|query=X=1 2", "MISS"), crafted);
        Assert.Equal(("a\u001eb 3", "MISS"), separator);
        Assert.Equal(("a\u001eb 3", "HIT"), separatorAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APerUserPolicyBeforeAuthenticationRunsSignedInRequestsUncached(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.UseAuthentication();
            ResponseCacheTestApp.MapLogin(a);
            a.MapGet("/me", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, services: ResponseCacheTestApp.AddCookieAuthentication);
        var aliceCookie = await app.SignInAsync("alice");

        var alice = await app.GetBodyAsync("/me", r => r.Headers.Add("Cookie", aliceCookie));
        var aliceAgain = await app.GetBodyAsync("/me", r => r.Headers.Add("Cookie", aliceCookie));
        var anonymous = await app.GetBodyAsync("/me");

        Assert.Equal(("alice 1", "MISS"), alice);
        Assert.Equal(("alice 2", "MISS"), aliceAgain);
        Assert.Equal(("anonymous 3", "MISS"), anonymous);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AConfiguredCookieNameMarksARequestAsAuthenticated(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/data", (HttpContext context) =>
                $"{context.Request.Cookies["session"] ?? "none"} {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        }, cache: o => o.AuthenticationCookieNames.Add("session"));

        var anonymous = await app.GetBodyAsync("/data", r => r.Headers.Add("Cookie", "theme=dark"));
        var withSession = await app.GetBodyAsync("/data", r => r.Headers.Add("Cookie", "theme=dark; session=alice"));
        var withSessionAgain = await app.GetBodyAsync("/data", r => r.Headers.Add("Cookie", "session=alice"));

        Assert.Equal(("none 1", "MISS"), anonymous);
        Assert.Equal(("alice 2", "MISS"), withSession);
        Assert.Equal(("alice 3", "MISS"), withSessionAgain);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APerUserPolicyRunsASignedInUserWithoutTheIdClaimUncachedAndNeverServesThemTheSharedEntry(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/me", (HttpContext context) => WhoAmI(context, ref calls)).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, cache: o => o.UserIdClaimType = "tenant_user_id", services: ResponseCacheTestApp.AddHeaderAuthentication);

        // Without the claim there is no user to key by: keyed as nobody, alice would share the anonymous entry.
        var anonymous = await app.GetBodyAsync("/me");
        var alice = await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var aliceAgain = await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var anonymousAgain = await app.GetBodyAsync("/me");

        Assert.Equal(("anonymous 1", "MISS"), anonymous);
        Assert.Equal(("alice 2", "MISS"), alice);
        Assert.Equal(("alice 3", "MISS"), aliceAgain);
        Assert.Equal(("anonymous 1", "HIT"), anonymousAgain);
        Assert.DoesNotContain(app.StoredResponseKeys(), k => k.Contains("alice", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task APerUserResponseIsNotStoredWhenTheRequestIsNoLongerSignedInAsTheUserItsKeyWasBuiltFor(string server)
    {
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/switch", (HttpContext context) =>
            {
                // The handler signs the request in as bob: its response is bob's, under a key built for alice.
                context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "bob")], ResponseCacheTestApp.TestScheme));
                return WhoAmI(context, ref calls);
            }).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, services: ResponseCacheTestApp.AddHeaderAuthentication);

        var first = await app.GetBodyAsync("/switch", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));
        var again = await app.GetBodyAsync("/switch", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "alice"));

        Assert.Equal(("bob 1", "MISS"), first);
        Assert.Equal(("bob 2", "MISS"), again);

        // The claim the miss placed is given back once the response has completed.
        Assert.True(await Eventually.TrueAsync(() => app.StoredResponseKeys().Count == 0), "a response was stored under alice's key");
    }
}
