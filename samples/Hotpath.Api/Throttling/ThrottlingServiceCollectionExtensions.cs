using Hotpath.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Hotpath.Api.Throttling;

/// <summary>Registers the sample's rate limits on Hotpath's server-held limiters (needs <c>AddHotpath(…).AddRateLimiting()</c>).</summary>
internal static class ThrottlingServiceCollectionExtensions
{
    /// <summary>
    /// The <c>/api</c> token bucket as the global limiter, so it stacks with the login route's own
    /// per-address policy, and the per-(email, address) <see cref="LoginThrottle"/>. Limits come from
    /// <c>RateLimits</c> in configuration, checked at start-up and read when the limiter is first used.
    /// The bucket admits locally from leased batches (<see cref="ApiRateLimits.BatchSize"/>); the login
    /// limits decide exactly, one script run per attempt.
    /// </summary>
    public static IServiceCollection AddApiThrottling(this IServiceCollection services)
    {
        services.AddOptions<RateLimitSettings>().BindConfiguration(RateLimitSettings.SectionName)
            .Validate(
                static s => !s.Api.Enabled || s.Api.BatchSize == 0 || (s.Api.BatchSize >= 2 && s.Api.BatchSize <= s.Api.TokenLimit),
                "RateLimits:Api:BatchSize must be 0 (one script run per request) or between 2 and RateLimits:Api:TokenLimit.")
            .ValidateOnStart();
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

            // HotpathPartitionedRateLimiter holds the request: it attaches its decisions for the RateLimit headers
            // itself and finds the caller's partition in a map of its own, with no delegate or key built per call.
            options.GlobalLimiter = HotpathPartitionedRateLimiter.CreateTokenBucket(
                RateLimitPolicies.Api,
                bucket =>
                {
                    bucket.TokenLimit = api.TokenLimit;
                    bucket.TokensPerPeriod = api.TokensPerPeriod;
                    bucket.ReplenishmentPeriod = api.ReplenishmentPeriod;
                    bucket.LocalAdmission.BatchSize = api.BatchSize;
                    bucket.LocalAdmission.MaxPartitions = api.MaxPartitions;
                },
                HotpathPartitionKeys.UserIdOrClientIp,
                static ctx => ctx.Request.Path.StartsWithSegments("/api"));
        });
        return services;
    }
}
