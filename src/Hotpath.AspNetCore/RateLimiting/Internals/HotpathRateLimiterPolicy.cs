using System.Threading.RateLimiting;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>
/// A named ASP.NET Core policy over a Hotpath algorithm: partitions requests with a function of the
/// request and gives each partition a server-held limiter. Refusals go to the application's
/// <c>OnRejected</c>, which <c>AddRateLimiting()</c> wraps to set 429 or 503.
/// </summary>
internal sealed class HotpathRateLimiterPolicy(RateLimitAlgorithm algorithm, Func<HttpContext, string?> partitionBy) : IRateLimiterPolicy<string>
{
    internal const string NoPartition = "(none)";

    private Func<string, RateLimiter>? _create;

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var create = Volatile.Read(ref _create);
        if (create is null)
        {
            var factory = RateLimiterServices.Factory(httpContext);
            create = key => factory.Create(algorithm, key);
            Volatile.Write(ref _create, create);
        }

        return RateLimitPartition.Get(partitionBy(httpContext) ?? NoPartition, create);
    }
}

internal static class RateLimiterServices
{
    public static HotpathRateLimiterFactory Factory(HttpContext httpContext) =>
        httpContext.RequestServices.GetService<HotpathRateLimiterFactory>()
        ?? throw new InvalidOperationException("Hotpath rate limiting is not registered: call services.AddHotpath(...).AddRateLimiting() at start-up.");
}
