using System.Net;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.AspNetCore.RateLimiting.Internals;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.Tests.RateLimiting;

public sealed class ClientAddressTests
{
    private static string Resolve(string? peer, string? forwardedFor, params string[] trusted)
    {
        var options = new HotpathRateLimitingOptions();
        foreach (var entry in trusted)
        {
            options.TrustedProxies.Add(entry);
        }

        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = peer is null ? null : IPAddress.Parse(peer);
        if (forwardedFor is not null)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        return ClientAddressResolver.Create(options).Resolve(context);
    }

    [Theory]
    [InlineData("203.0.113.5", null, "203.0.113.5")]
    [InlineData("203.0.113.5", "198.51.100.7", "203.0.113.5")]
    [InlineData("::ffff:203.0.113.5", null, "203.0.113.5")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", null, "2001:db8:1:2::/64")]
    [InlineData(null, "198.51.100.7", "unknown")]
    public void WithoutTrustedProxiesThePeerIsTheClient(string? peer, string? forwardedFor, string expected) =>
        Assert.Equal(expected, Resolve(peer, forwardedFor));

    [Theory]
    [InlineData("10.0.0.1", "198.51.100.7", "198.51.100.7")]
    [InlineData("10.0.0.1", "1.1.1.1, 198.51.100.7", "198.51.100.7")]
    [InlineData("10.0.0.1", "198.51.100.7, 10.0.0.9", "198.51.100.7")]
    [InlineData("10.0.0.1", "198.51.100.7:5555", "198.51.100.7")]
    [InlineData("10.0.0.1", "[2001:db8::1]:443", "2001:db8::/64")]
    [InlineData("10.0.0.1", "not-an-address", "10.0.0.1")]
    [InlineData("10.0.0.1", "198.51.100.7, not-an-address", "10.0.0.1")]
    [InlineData("10.0.0.1", null, "10.0.0.1")]
    [InlineData("203.0.113.5", "198.51.100.7", "203.0.113.5")]
    [InlineData("fd00::1", "198.51.100.7", "198.51.100.7")]
    public void TrustedProxiesVouchForTheAddressBeforeThem(string peer, string? forwardedFor, string expected) =>
        Assert.Equal(expected, Resolve(peer, forwardedFor, "10.0.0.0/8", "fd00::1"));

    [Fact]
    public void AnInvalidTrustedProxyFailsNamingTheSetting()
    {
        var ex = Assert.Throws<HotpathConfigurationException>(() => Resolve("10.0.0.1", null, "10.0.0.0/33"));
        Assert.Contains("Hotpath:RateLimiting:TrustedProxies", ex.Message);
    }

    [Fact]
    public void AnApiKeyIsHashedAndTheUserIdComesFromClaims()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Api-Key"] = "secret-key-123";

        var key = HotpathPartitionKeys.ApiKey(context);

        Assert.NotNull(key);
        Assert.StartsWith("key:", key);
        Assert.DoesNotContain("secret", key);
        Assert.Null(HotpathPartitionKeys.ApiKey(new DefaultHttpContext()));
        Assert.Null(HotpathPartitionKeys.UserId(context));
        context.User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity([new("sub", "42")], "test"));
        Assert.Equal("42", HotpathPartitionKeys.UserId(context));
        Assert.Equal("user:42", HotpathPartitionKeys.UserIdOrClientIp(context));
    }
}
