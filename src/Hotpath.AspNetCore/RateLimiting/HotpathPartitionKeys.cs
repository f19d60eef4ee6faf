using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Hotpath.AspNetCore.RateLimiting.Internals;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.RateLimiting;

/// <summary>
/// Ready-made partition keys for rate limiting policies: who a request's quota belongs to. Each is a
/// plain function of the request, so they compose: <c>ctx =&gt; HotpathPartitionKeys.ApiKey(ctx) ?? HotpathPartitionKeys.ClientIp(ctx)</c>.
/// None costs a round trip.
/// </summary>
public static class HotpathPartitionKeys
{
    /// <summary>
    /// The client's address: the connection's peer, or, when the peer is one of
    /// <see cref="HotpathRateLimitingOptions.TrustedProxies"/>, the right-most untrusted address of the
    /// forwarded-for header (a client can prepend anything to that header, never append). An IPv6 client
    /// is keyed by its /64 network, since one host usually holds a whole /64. <c>unknown</c> when there is
    /// no peer address (in-process test servers).
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The address, such as <c>203.0.113.9</c> or <c>2001:db8:1:2::/64</c>.</returns>
    public static string ClientIp(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var resolver = context.RequestServices?.GetService<ClientAddressResolver>() ?? ClientAddressResolver.PeerOnly;
        return resolver.Resolve(context);
    }

    /// <summary>
    /// The signed-in user's id: the <see cref="ClaimTypes.NameIdentifier"/> claim, else <c>sub</c>, else
    /// the identity's name; <see langword="null"/> for an anonymous request.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The user id, or <see langword="null"/>.</returns>
    public static string? UserId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        if (user?.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        return user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? user.FindFirst("sub")?.Value ?? user.Identity.Name;
    }

    /// <summary><c>user:&lt;id&gt;</c> for a signed-in user, else <c>ip:&lt;client address&gt;</c> (see <see cref="ClientIp"/>).</summary>
    /// <param name="context">The request.</param>
    /// <returns>The partition key.</returns>
    public static string UserIdOrClientIp(HttpContext context) =>
        UserId(context) is { } id ? "user:" + id : "ip:" + ClientIp(context);

    /// <summary>
    /// <c>key:&lt;hash&gt;</c> for the API key in the <see cref="HotpathRateLimitingOptions.ApiKeyHeaderName"/>
    /// header, <see langword="null"/> without one. Only a SHA-256 of the key reaches the server's keys.
    /// The key is not validated: authenticate it too, or a caller can invent keys for fresh quotas.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The partition key, or <see langword="null"/>.</returns>
    public static string? ApiKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.RequestServices?.GetService<ClientAddressResolver>()?.ApiKeyHeaderName ?? "X-Api-Key";
        var value = context.Request.Headers[header].ToString();
        if (value.Length == 0)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), hash);
        return "key:" + Convert.ToHexStringLower(hash[..16]);
    }
}
