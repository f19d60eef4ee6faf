using Hotpath;
using Hotpath.AspNetCore;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.AspNetCore.RateLimiting.Internals;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Hotpath's server-held rate limiters.</summary>
public static class HotpathRateLimitingBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="HotpathRateLimiterFactory"/> over the shared connection, so that
    /// <c>AddHotpathFixedWindowLimiter</c> (and the sliding window and token bucket ones), the
    /// <c>RateLimitPartition.GetHotpath…Limiter</c> partitions and <see cref="HotpathPartitionKeys"/> work in
    /// <c>services.AddRateLimiter(…)</c>. It also wraps the rate limiter's <c>OnRejected</c> so a refusal by a
    /// Hotpath limiter is a 429 (or 503 when the server is unreachable and the policy fails closed) before
    /// your own <c>OnRejected</c> runs, and has responses carry the <c>RateLimit-Policy</c>, <c>RateLimit</c>
    /// and <c>Retry-After</c> headers. Options bind from <c>Hotpath:RateLimiting</c>; <paramref name="configure"/>
    /// runs last. Invalid options fail start-up, naming the setting.
    /// </summary>
    /// <param name="builder">The builder <c>AddHotpath</c> returned.</param>
    /// <param name="configure">Adjusts the options after binding.</param>
    /// <returns>The builder, for chaining.</returns>
    public static HotpathBuilder AddRateLimiting(this HotpathBuilder builder, Action<HotpathRateLimitingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // Bound by the configuration binding generator: no reflection, the same in a trimmed or AOT application.
        var options = services.AddOptions<HotpathRateLimitingOptions>().BindConfiguration(HotpathRateLimitingOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddHttpContextAccessor();
        services.TryAddSingleton(static sp => ClientAddressResolver.Create(sp.GetRequiredService<IOptions<HotpathRateLimitingOptions>>().Value));
        services.TryAddSingleton(static sp => new RateLimitHeaders(
            sp.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>(),
            sp.GetRequiredService<IOptions<HotpathRateLimitingOptions>>().Value));
        services.TryAddSingleton(static sp =>
        {
            var rateLimiting = sp.GetRequiredService<IOptions<HotpathRateLimitingOptions>>().Value;
            if (rateLimiting.UnavailableRetryAfter <= TimeSpan.Zero)
            {
                throw new HotpathConfigurationException($"{HotpathRateLimitingOptions.SectionName}:UnavailableRetryAfter must be a positive time span; it is {rateLimiting.UnavailableRetryAfter}.");
            }

            _ = sp.GetRequiredService<ClientAddressResolver>();
            var factory = new HotpathRateLimiterFactory(
                sp.GetRequiredService<HotpathConnection>(),
                sp.GetRequiredService<HotpathMetrics>(),
                sp.GetRequiredService<ILoggerFactory>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<HotpathOptions>>().Value.FaultLogInterval,
                rateLimiting.UnavailableRetryAfter);
            factory.AdmitsSynchronously = new SynchronousAdmission(sp.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>()).Allowed;
            if (rateLimiting.EmitHeaders)
            {
                factory.Observer = sp.GetRequiredService<RateLimitHeaders>().Observe;
            }

            return factory;
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<RateLimiterOptions>, RateLimiterOptionsSetup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, RateLimitingStartup>());
        return builder;
    }
}
