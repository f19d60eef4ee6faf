using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>
/// Says whether a Hotpath limiter may admit from its leased allowance inside the framework middleware's
/// synchronous try. The middleware tries the global limiter and then the endpoint's policy; when the
/// endpoint's try does not acquire (a Hotpath policy always goes on to <c>AcquireAsync</c>), it drops the
/// global lease and acquires both again, so a permit taken in the try would be charged twice. Only a
/// request whose endpoint has no policy of its own (or has rate limiting disabled) is admitted there.
/// </summary>
internal sealed class SynchronousAdmission(IHttpContextAccessor accessor)
{
    /// <summary>True outside a request (a direct caller of <c>AttemptAcquire</c>), or when the request's endpoint names no rate limiting policy.</summary>
    public bool Allowed() => accessor.HttpContext is not { } context || Allowed(context);

    /// <summary>True when the request's endpoint names no rate limiting policy (or has rate limiting disabled).</summary>
    public static bool Allowed(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            return true;
        }

        var metadata = endpoint.Metadata;
        return metadata.GetMetadata<EnableRateLimitingAttribute>() is null || metadata.GetMetadata<DisableRateLimitingAttribute>() is not null;
    }
}
