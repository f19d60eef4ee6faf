using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hotpath.Api.Auth;
using Hotpath.Api.Me;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Api.Tests;

public sealed class SessionTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    [Theory]
    [MemberData(nameof(All))]
    public async Task ALoginStoresOnlyAHashOfAnOpaqueTokenWithAThirtyMinuteTtl(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();

        using var response = await client.PostAsJsonAsync("/api/auth/login", new { email = "  Alice@Example.com ", password = ApiClient.DemoPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var login = (await response.Content.ReadFromJsonAsync<LoginResponse>())!;

        // 32 random bytes, base64url: no dots (not a JWT), nothing to decode.
        Assert.Equal(43, login.Token.Length);
        Assert.DoesNotContain('.', login.Token);
        Assert.Equal(32, Convert.FromBase64String(login.Token.Replace('-', '+').Replace('_', '/') + "=").Length);
        Assert.InRange(login.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));

        var db = TestServers.Multiplexer(server).GetDatabase();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(login.Token)));
        var key = $"{app.KeyPrefix}session:{hash}:v1";
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
        var keys = await AppKeysAsync(server, app.KeyPrefix);
        Assert.DoesNotContain(keys, k => k.Contains(login.Token, StringComparison.Ordinal));
        Assert.DoesNotContain(login.Token, (string?)await db.StringGetAsync(key) ?? string.Empty, StringComparison.Ordinal);
        (await client.SendAsync(HttpMethod.Get, "/api/me", login.Token)).Dispose();
        Assert.DoesNotContain(login.Token, app.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiClient.DemoPassword, app.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains(app.Logs.Records, r => r.EventId.Id == 1010);
    }

    [Fact]
    public async Task AnActiveSessionOutlivesTheIdleTimeoutAndAnIdleOneEnds()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db, new Dictionary<string, string> { ["Sessions:IdleTimeout"] = "00:00:03" });
        var client = app.CreateClient();
        var active = await client.LoginAsync(ApiClient.Alice);
        var idle = await client.LoginAsync(ApiClient.Bob);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Used every few hundred milliseconds for three times the idle timeout: it stays.
        while (clock.Elapsed < TimeSpan.FromSeconds(7))
        {
            using var me = await client.SendAsync(HttpMethod.Get, "/api/me", active);
            Assert.True(me.StatusCode == HttpStatusCode.OK, $"the active session ended {clock.Elapsed} after login");
            await Task.Delay(200);
        }

        // The other one was never used after login: by now, twice its timeout later, it has ended.
        using var late = await client.SendAsync(HttpMethod.Get, "/api/me", idle);
        Assert.Equal(HttpStatusCode.Unauthorized, late.StatusCode);
    }

    [Fact]
    public async Task AnIdleTimeoutThatIsNotAPositiveTimeSpanStopsTheAppNamingTheSetting()
    {
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var app = ApiFactory.ForServer(TestServers.Garnet, db, new Dictionary<string, string> { ["Sessions:IdleTimeout"] = "-5" });

        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("Sessions:IdleTimeout", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task EachUseOfASessionSlidesItsExpiry(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var token = await client.LoginAsync(ApiClient.Bob);
        var db = TestServers.Multiplexer(server).GetDatabase();
        var key = $"{app.KeyPrefix}session:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))}:v1";

        // As if the session had been idle for 29 minutes.
        Assert.True(await db.KeyExpireAsync(key, TimeSpan.FromMinutes(1)));
        using var me = await client.SendAsync(HttpMethod.Get, "/api/me", token);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(30));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AliceAndBobEachGetTheirOwnProfileInEitherOrder(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var alice = await client.LoginAsync(ApiClient.Alice);
        var bob = await client.LoginAsync(ApiClient.Bob);

        foreach (var order in new[] { new[] { (alice, ApiClient.Alice), (bob, ApiClient.Bob) }, new[] { (bob, ApiClient.Bob), (alice, ApiClient.Alice) } })
        {
            await app.Cache.DeleteAsync([MeEndpoints.ProfileKey(1), MeEndpoints.ProfileKey(2)]);
            foreach (var expectHeader in new[] { "MISS", "HIT" })
            {
                foreach (var (token, email) in order)
                {
                    using var response = await client.SendAsync(HttpMethod.Get, "/api/me", token);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal(expectHeader, response.CacheHeader());
                    var profile = (await response.Content.ReadFromJsonAsync<Profile>())!;
                    Assert.Equal(email, profile.Email);
                    Assert.Equal(email == ApiClient.Alice ? "admin" : "user", profile.Role);
                }
            }
        }

        // Cached per user, not per URL.
        var keys = await AppKeysAsync(server, app.KeyPrefix);
        Assert.Contains("user:1:profile:v1", keys);
        Assert.Contains("user:2:profile:v1", keys);
        Assert.DoesNotContain(keys, k => k.Contains("/api/me", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task ChangingTheDisplayNameShowsAtOnceForThatUserOnly(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var alice = await client.LoginAsync(ApiClient.Alice);
        var bob = await client.LoginAsync(ApiClient.Bob);
        (await client.SendAsync(HttpMethod.Get, "/api/me", alice)).Dispose();
        (await client.SendAsync(HttpMethod.Get, "/api/me", bob)).Dispose();
        var name = $"Alice {Guid.NewGuid():N}"[..20];

        using var put = await client.SendAsync(HttpMethod.Put, "/api/me", alice, new { displayName = name });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var aliceMe = await client.SendAsync(HttpMethod.Get, "/api/me", alice);
        using var bobMe = await client.SendAsync(HttpMethod.Get, "/api/me", bob);

        Assert.Equal(name, (await aliceMe.Content.ReadFromJsonAsync<Profile>())!.DisplayName);
        Assert.Equal("MISS", aliceMe.CacheHeader());
        Assert.Equal("Bob", (await bobMe.Content.ReadFromJsonAsync<Profile>())!.DisplayName);
        Assert.Equal("HIT", bobMe.CacheHeader());
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task LogoutEndsTheSessionAtOnceAndOnlyThatSession(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var first = await client.LoginAsync(ApiClient.Bob);
        var second = await client.LoginAsync(ApiClient.Bob);
        Assert.NotEqual(first, second);

        using var logout = await client.SendAsync(HttpMethod.Post, "/api/auth/logout", first);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        using var after = await client.SendAsync(HttpMethod.Get, "/api/me", first);
        await after.AssertProblemAsync(HttpStatusCode.Unauthorized);
        using var logoutAgain = await client.SendAsync(HttpMethod.Post, "/api/auth/logout", first);
        await logoutAgain.AssertProblemAsync(HttpStatusCode.Unauthorized);
        using var other = await client.SendAsync(HttpMethod.Get, "/api/me", second);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(first)));
        Assert.False(await TestServers.Multiplexer(server).GetDatabase().KeyExistsAsync($"{app.KeyPrefix}session:{hash}:v1"));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task WrongCredentialsAndMissingOrUnknownTokensAre401(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();

        using var wrongPassword = await client.PostAsJsonAsync("/api/auth/login", new { email = ApiClient.Alice, password = "not-it" });
        using var unknownUser = await client.PostAsJsonAsync("/api/auth/login", new { email = "carol@example.com", password = ApiClient.DemoPassword });
        using var noToken = await client.GetAsync("/api/me");
        using var malformed = await client.SendAsync(HttpMethod.Get, "/api/me", "not-a-token");
        using var unknown = await client.SendAsync(HttpMethod.Get, "/api/me", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));

        await wrongPassword.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await unknownUser.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await noToken.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await malformed.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await unknown.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", noToken.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>The app's keys on the server, without its prefix.</summary>
    private static async Task<List<string>> AppKeysAsync(string server, string prefix)
    {
        return (await TestServers.KeysAsync(server, prefix + "*")).Select(k => k[prefix.Length..]).ToList();
    }
}
