using Hotpath.RateLimiting;

namespace Hotpath.AspNetCore.RateLimiting;

/// <summary>
/// Options of Hotpath's ASP.NET Core rate limiting, bound from the <c>Hotpath:RateLimiting</c>
/// configuration section by <c>AddRateLimiting()</c>. The limits themselves belong to each policy.
/// </summary>
public sealed class HotpathRateLimitingOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Hotpath:RateLimiting";

    /// <summary>
    /// The proxies whose <see cref="ForwardedForHeaderName"/> header is believed: addresses
    /// (<c>10.0.0.7</c>) or networks in CIDR form (<c>10.0.0.0/8</c>, <c>fd00::/8</c>). The client address
    /// is then the right-most address in the header that is not itself a trusted proxy. With none (the
    /// default) the header is ignored and the client address is the connection's peer, so a client cannot
    /// buy a fresh quota by sending the header. If <c>UseForwardedHeaders</c> already rewrote the peer
    /// address, leave this empty.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>The header a trusted proxy appends the client address to. The default is <c>X-Forwarded-For</c>.</summary>
    public string ForwardedForHeaderName { get; set; } = "X-Forwarded-For";

    /// <summary>The request header <see cref="HotpathPartitionKeys.ApiKey"/> reads. The default is <c>X-Api-Key</c>.</summary>
    public string ApiKeyHeaderName { get; set; } = "X-Api-Key";

    /// <summary>The status of a response refused because a limit was reached. The default is 429 (Too Many Requests).</summary>
    public int RejectionStatusCode { get; set; } = 429;

    /// <summary>
    /// The status of a response refused because the server could not be reached by a policy that fails
    /// closed (<see cref="RateLimiterFailureMode.FailClosed"/>). The default is 503 (Service Unavailable).
    /// </summary>
    public int UnavailableStatusCode { get; set; } = 503;

    /// <summary>The <c>Retry-After</c> of a response refused because the server could not be reached. The default is 5 seconds.</summary>
    public TimeSpan UnavailableRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether responses carry the <c>RateLimit-Policy</c> and <c>RateLimit</c> headers (IETF httpapi
    /// rate-limit-headers draft) of every Hotpath policy that decided on them, allowed or not, and
    /// <c>Retry-After</c> when refused. The default is <see langword="true"/>.
    /// </summary>
    public bool EmitHeaders { get; set; } = true;
}
