using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>
/// Wraps the application's <c>OnRejected</c>: a refusal by a Hotpath limiter gets its status (429, or
/// 503 for fail-closed) first, then the application's own handler runs and may change anything.
/// </summary>
internal sealed class RateLimiterOptionsSetup(RateLimitHeaders headers) : IPostConfigureOptions<RateLimiterOptions>
{
    public void PostConfigure(string? name, RateLimiterOptions options)
    {
        var application = options.OnRejected;
        options.OnRejected = (context, cancellationToken) =>
        {
            headers.Rejected(context);
            return application is null ? ValueTask.CompletedTask : application(context, cancellationToken);
        };
    }
}
