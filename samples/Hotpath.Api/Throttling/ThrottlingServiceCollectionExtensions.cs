using System.Threading.RateLimiting;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Hotpath.Api.Throttling;

/// <summary>Registers the sample's rate limits on Hotpath's server-held limiters (needs <c>AddHotpath(…).AddRateLimiting()</c>).</summary>
internal static class ThrottlingServiceCollectionExtensions
{
    /// <summary>
    /// The <c>/api</c> token bucket as the global limiter, so it stacks with the login route's own
    /// per-address policy, and the per-(email, address) <see cref="LoginThrottle"/>. Limits come from
    /// <c>RateLimits</c> in configuration, read when the limiter is first used.
    /// </summary>
    public static IServiceCollection AddApiThrottling(this IServiceCollection services)
    {
        services.AddOptions<RateLimitSettings>().BindConfiguration(RateLimitSettings.SectionName);
        services.AddSingleton<LoginThrottle>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitSettings>>(static (options, settings) =>
        {
            var login = settings.Value.Login;
            options.AddHotpathFixedWindowLimiter(RateLimitPolicies.LoginPerIp, l =>
            {
                l.PermitLimit = login.PerIp;
                l.Window = login.Window;
            });

            var api = settings.Value.Api;
            if (!api.Enabled)
            {
                return;
            }

            var bucket = new HotpathTokenBucketRateLimiterOptions
            {
                TokenLimit = api.TokenLimit,
                TokensPerPeriod = api.TokensPerPeriod,
                ReplenishmentPeriod = api.ReplenishmentPeriod,
            };
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                ctx.Request.Path.StartsWithSegments("/api")
                    ? RateLimitPartition.GetHotpathTokenBucketLimiter(ctx, RateLimitPolicies.Api, HotpathPartitionKeys.UserIdOrClientIp(ctx), _ => bucket)
                    : RateLimitPartition.GetNoLimiter("(not /api)"));
        });
        return services;
    }
}
