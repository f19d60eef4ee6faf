using System.Security.Claims;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>What the response cache writes to the logs: reasons and timings, never a key, a user id or a body.</summary>
public sealed class LogTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task NoLogLineCarriesThePathTheQueryTheUserOrTheBody(string server)
    {
        await using var app = await ResponseCacheTestApp.StartAsync(server, a =>
        {
            a.UseAuthentication();
            a.UseHotpathResponseCache();
            a.MapGet("/items/{id}", (string id) => $"body-secret for {id}").CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/cookie/{id}", (HttpContext c, string id) =>
            {
                c.Response.Cookies.Append("seen", "cookie-secret");
                return $"body-secret for {id}";
            }).CacheResponse(TimeSpan.FromMinutes(1));
            a.MapGet("/me", (HttpContext c) =>
            {
                // Signs in as someone else mid-request: the response must not be stored under the first user's key.
                c.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "other-user-id-88")], ResponseCacheTestApp.TestScheme));
                return "body-secret profile";
            }).CacheResponse(p => p.Expire(TimeSpan.FromMinutes(1)).PerUser());
        }, services: ResponseCacheTestApp.AddHeaderAuthentication);

        await app.GetBodyAsync("/items/item-secret-42");
        await app.GetBodyAsync("/items/item-secret-42");
        await app.GetBodyAsync("/items/item-secret-42?query-secret=1");
        await app.GetBodyAsync("/items/item-secret-42", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "user-id-secret-77"));
        await app.GetBodyAsync("/cookie/item-secret-42");
        await app.GetBodyAsync("/me", r => r.Headers.Add(ResponseCacheTestApp.TestUserHeader, "user-id-secret-77"));

        var ours = app.Logs.Records.Where(r => r.Category.StartsWith("Hotpath", StringComparison.Ordinal)).ToList();

        // The bypasses (unknown query key, authenticated) and refusals (cookie, other user) were each logged ...
        Assert.Equal(2, ours.Count(r => r.EventId.Id == 2000));
        Assert.Equal(2, ours.Count(r => r.EventId.Id == 2001));

        // ... and none of them names what the request or the response held.
        var text = string.Join('\n', ours.Select(r => r.Message + "\n" + r.Exception));
        foreach (var secret in new[] { "item-secret", "query-secret", "user-id-secret", "other-user-id", "body-secret", "cookie-secret", "/items", "/me" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}
