using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Hotpath.AspNetCore.Idempotency;

/// <summary>Options of the idempotency middleware, set through <c>AddIdempotency(o => …)</c>.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>The request header that carries the key, per the IETF httpapi idempotency-key draft.</summary>
    public const string HeaderName = "Idempotency-Key";

    /// <summary>
    /// How long a completed request's response is kept for replay. A retry with the same key after this
    /// runs as a new request. The default is 24 hours.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Whether a request to an endpoint that requires idempotency must carry the header. When
    /// <see langword="true"/>, a request without it is refused with 400 and problem details; when
    /// <see langword="false"/>, it simply runs without idempotency. The default is <see langword="false"/>.
    /// </summary>
    public bool RequireHeader { get; set; }

    /// <summary>
    /// The longest request body read to fingerprint a request that carries a key. A larger body is
    /// refused with 413 and problem details (a prefix fingerprint could match a different request). The
    /// default is 1 MiB.
    /// </summary>
    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// The largest response body stored for replay; the first response is buffered up to this size so
    /// it is stored before the client sees it complete. A larger body is streamed to the client and
    /// only its status and headers are stored (a replay then has an empty body; logged). The default is 1 MiB.
    /// </summary>
    public int MaxResponseBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long the in-progress marker of a running request lives without renewal. It is renewed at a
    /// third of this while the request runs, so only a crashed instance leaves it to expire; a retry
    /// after that runs again. The default is 30 seconds.
    /// </summary>
    public TimeSpan InProgressLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest accepted key, in characters; a longer one is refused with 400. The default is 255.</summary>
    public int MaxKeyLength { get; set; } = 255;

    /// <summary>
    /// The response headers stored with a response and replayed. Cookies are left out on purpose. The
    /// default is <c>Content-Type</c>, <c>Content-Language</c>, <c>Content-Disposition</c>,
    /// <c>Content-Location</c>, <c>Location</c>, <c>ETag</c>, <c>Last-Modified</c>, <c>Cache-Control</c>,
    /// <c>Expires</c> and <c>Link</c>.
    /// </summary>
    public ISet<string> ReplayedHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.ContentType, HeaderNames.ContentLanguage, HeaderNames.ContentDisposition, HeaderNames.ContentLocation,
        HeaderNames.Location, HeaderNames.ETag, HeaderNames.LastModified, HeaderNames.CacheControl, HeaderNames.Expires, HeaderNames.Link,
    };

    /// <summary>The header added to a replayed response, with the value <c>true</c>. The default is <c>Idempotent-Replayed</c>.</summary>
    public string ReplayedHeaderName { get; set; } = "Idempotent-Replayed";

    /// <summary>
    /// Chooses whose keys a request's key belongs to, so the same key from two users never meets.
    /// Return <see langword="null"/> for the shared anonymous scope. The default is the
    /// authenticated user's <see cref="ClaimTypes.NameIdentifier"/> (or <c>sub</c>, or the identity's
    /// name) and <see langword="null"/> for anonymous requests.
    /// </summary>
    public Func<HttpContext, string?> ScopeSelector { get; set; } = DefaultScope;

    /// <summary>
    /// What happens when the server cannot be reached to check a key: <see langword="false"/> runs the
    /// request without idempotency (logged once per burst), <see langword="true"/> refuses it with 503
    /// and problem details. The default is <see langword="false"/>.
    /// </summary>
    public bool RejectWhenUnavailable { get; set; }

    internal static string? DefaultScope(HttpContext context)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        return user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? user.FindFirst("sub")?.Value ?? user.Identity.Name;
    }

    internal void Validate()
    {
        if (Retention <= TimeSpan.Zero || InProgressLease < TimeSpan.FromMilliseconds(3))
        {
            throw new HotpathConfigurationException($"Idempotency {nameof(Retention)} and {nameof(InProgressLease)} must be positive; they are {Retention} and {InProgressLease}.");
        }

        if (MaxRequestBodySize < 0 || MaxResponseBodySize < 0)
        {
            throw new HotpathConfigurationException("Idempotency body size limits must not be negative.");
        }

        if (MaxKeyLength is < 1 or > 4096)
        {
            throw new HotpathConfigurationException($"Idempotency {nameof(MaxKeyLength)} must be between 1 and 4096; it is {MaxKeyLength}.");
        }

        if (string.IsNullOrWhiteSpace(ReplayedHeaderName) || ScopeSelector is null)
        {
            throw new HotpathConfigurationException($"Idempotency {nameof(ReplayedHeaderName)} and {nameof(ScopeSelector)} must be set.");
        }
    }
}
