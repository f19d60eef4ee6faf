using Hotpath.AspNetCore.RateLimiting;
using Hotpath.AspNetCore.RateLimiting.Internals;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.RateLimiting;

/// <summary>
/// Adds named policies whose limits are held on the cache server, shared by every instance, to
/// ASP.NET Core's own rate limiter: use them with <c>RequireRateLimiting(name)</c> or
/// <c>[EnableRateLimiting(name)]</c> like the framework's in-process policies. Each request costs one
/// round trip. Needs <c>services.AddHotpath(...).AddRateLimiting()</c>.
/// </summary>
public static class HotpathRateLimiterOptionsExtensions
{
    /// <summary>
    /// Adds a fixed window policy: at most <c>PermitLimit</c> requests per window and partition.
    /// </summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name; also its name in keys and response headers. A duplicate name throws.</param>
    /// <param name="configure">Sets the limits; runs once, now.</param>
    /// <param name="partitionBy">Whose quota a request uses; <see langword="null"/> answers share one quota. The default is <see cref="HotpathPartitionKeys.ClientIp"/>.</param>
    /// <returns>The options, for chaining.</returns>
    public static RateLimiterOptions AddHotpathFixedWindowLimiter(this RateLimiterOptions options, string policyName, Action<HotpathFixedWindowRateLimiterOptions> configure, Func<HttpContext, string?>? partitionBy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configure);
        var limits = new HotpathFixedWindowRateLimiterOptions();
        configure(limits);
        return options.AddPolicy(policyName, new HotpathRateLimiterPolicy(HotpathRateLimiterFactory.FixedWindow(policyName, limits), partitionBy ?? HotpathPartitionKeys.ClientIp));
    }

    /// <summary>
    /// Adds a sliding window policy: at most <c>PermitLimit</c> requests in any window, per partition,
    /// approximated with two weighted counters (see <see cref="HotpathSlidingWindowRateLimiterOptions"/>).
    /// </summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name; also its name in keys and response headers. A duplicate name throws.</param>
    /// <param name="configure">Sets the limits; runs once, now.</param>
    /// <param name="partitionBy">Whose quota a request uses; <see langword="null"/> answers share one quota. The default is <see cref="HotpathPartitionKeys.ClientIp"/>.</param>
    /// <returns>The options, for chaining.</returns>
    public static RateLimiterOptions AddHotpathSlidingWindowLimiter(this RateLimiterOptions options, string policyName, Action<HotpathSlidingWindowRateLimiterOptions> configure, Func<HttpContext, string?>? partitionBy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configure);
        var limits = new HotpathSlidingWindowRateLimiterOptions();
        configure(limits);
        return options.AddPolicy(policyName, new HotpathRateLimiterPolicy(HotpathRateLimiterFactory.SlidingWindow(policyName, limits), partitionBy ?? HotpathPartitionKeys.ClientIp));
    }

    /// <summary>
    /// Adds a token bucket policy: bursts up to <c>TokenLimit</c> requests, then <c>TokensPerPeriod</c>
    /// per <c>ReplenishmentPeriod</c>, per partition.
    /// </summary>
    /// <param name="options">The rate limiter options.</param>
    /// <param name="policyName">The policy's name; also its name in keys and response headers. A duplicate name throws.</param>
    /// <param name="configure">Sets the limits; runs once, now.</param>
    /// <param name="partitionBy">Whose quota a request uses; <see langword="null"/> answers share one quota. The default is <see cref="HotpathPartitionKeys.ClientIp"/>.</param>
    /// <returns>The options, for chaining.</returns>
    public static RateLimiterOptions AddHotpathTokenBucketLimiter(this RateLimiterOptions options, string policyName, Action<HotpathTokenBucketRateLimiterOptions> configure, Func<HttpContext, string?>? partitionBy = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configure);
        var limits = new HotpathTokenBucketRateLimiterOptions();
        configure(limits);
        return options.AddPolicy(policyName, new HotpathRateLimiterPolicy(HotpathRateLimiterFactory.TokenBucket(policyName, limits), partitionBy ?? HotpathPartitionKeys.ClientIp));
    }
}
