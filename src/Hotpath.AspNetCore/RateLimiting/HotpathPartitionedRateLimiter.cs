using System.Threading.RateLimiting;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.AspNetCore.RateLimiting.Internals;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.RateLimiting;

/// <summary>
/// Global limiters over requests whose limits are held on the cache server, for
/// <c>RateLimiterOptions.GlobalLimiter</c>: <c>o.GlobalLimiter = HotpathPartitionedRateLimiter.CreateTokenBucket("api", b =&gt; { … }, HotpathPartitionKeys.UserIdOrClientIp, ctx =&gt; ctx.Request.Path.StartsWithSegments("/api"))</c>.
/// Needs <c>services.AddHotpath(...).AddRateLimiting()</c>.
/// </summary>
/// <remarks>
/// <para>
/// They decide like <c>RateLimitPartition.GetHotpath…Limiter</c> partitions inside
/// <c>PartitionedRateLimiter.Create</c>, and cost less per request: the limiter holds the request, so it
/// attaches each decision to it for the <c>RateLimit</c> headers directly, and finds the partition's
/// limiter in a lock-free map keyed by the partition key alone. With local admission on, an admitted
/// request costs no round trip and no lock but the partition's own.
/// </para>
/// <para>
/// The limiter keeps at most the policy's <c>LocalAdmission.MaxPartitions</c> partitions in process
/// (used whether or not local admission is on; 10 000 for a sliding window; a partition key longer than
/// 128 characters is kept as its SHA-256); beyond it the least recently used are dropped. The counts live
/// on the server, so a dropped partition that comes back finds its quota as it left it; only an
/// in-process count (the cache disabled, or fail-open while the server is unreachable) starts again.
/// </para>
/// <para>
/// Assign it to <c>RateLimiterOptions.GlobalLimiter</c>, one instance per application (it takes the
/// application's limiter factory from the first request). Chained behind or before another limiter with
/// <c>PartitionedRateLimiter.CreateChained</c>, a request whose synchronous try another limiter leaves
/// undecided would be charged twice, as with the framework's own limiters.
/// </para>
/// </remarks>
public static class HotpathPartitionedRateLimiter
{
    /// <summary>
    /// A global fixed window limiter: at most <c>PermitLimit</c> requests per window and partition.
    /// </summary>
    /// <param name="policyName">The policy's name; also its name in keys and response headers.</param>
    /// <param name="configure">Sets the limits; runs once, now.</param>
    /// <param name="partitionBy">Whose quota a request uses; <see langword="null"/> answers share one quota. The default is <see cref="HotpathPartitionKeys.ClientIp"/>.</param>
    /// <param name="appliesTo">Which requests the policy limits; the others are admitted without a decision or headers. The default is every request.</param>
    /// <returns>The limiter; assign it to <c>RateLimiterOptions.GlobalLimiter</c>.</returns>
    /// <exception cref="ArgumentException">The name is empty or a limit is out of range (the message names it).</exception>
    public static PartitionedRateLimiter<HttpContext> CreateFixedWindow(string policyName, Action<HotpathFixedWindowRateLimiterOptions> configure, Func<HttpContext, string?>? partitionBy = null, Func<HttpContext, bool>? appliesTo = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var limits = new HotpathFixedWindowRateLimiterOptions();
        configure(limits);
        return new HotpathRequestRateLimiter(HotpathRateLimiterFactory.FixedWindow(policyName, limits), partitionBy ?? HotpathPartitionKeys.ClientIp, appliesTo);
    }

    /// <summary>
    /// A global sliding window limiter: at most <c>PermitLimit</c> requests in any window, per partition,
    /// approximated with two weighted counters; see <see cref="CreateFixedWindow"/>.
    /// </summary>
    /// <param name="policyName">The policy's name; also its name in keys and response headers.</param>
    /// <param name="configure">Sets the limits; runs once, now.</param>
    /// <param name="partitionBy">Whose quota a request uses; <see langword="null"/> answers share one quota. The default is <see cref="HotpathPartitionKeys.ClientIp"/>.</param>
    /// <param name="appliesTo">Which requests the policy limits; the others are admitted without a decision or headers. The default is every request.</param>
    /// <returns>The limiter.</returns>
    /// <exception cref="ArgumentException">The name is empty or a limit is out of range (the message names it).</exception>
    public static PartitionedRateLimiter<HttpContext> CreateSlidingWindow(string policyName, Action<HotpathSlidingWindowRateLimiterOptions> configure, Func<HttpContext, string?>? partitionBy = null, Func<HttpContext, bool>? appliesTo = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var limits = new HotpathSlidingWindowRateLimiterOptions();
        configure(limits);
        return new HotpathRequestRateLimiter(HotpathRateLimiterFactory.SlidingWindow(policyName, limits), partitionBy ?? HotpathPartitionKeys.ClientIp, appliesTo);
    }

    /// <summary>
    /// A global token bucket limiter: bursts up to <c>TokenLimit</c> requests, then <c>TokensPerPeriod</c>
    /// per <c>ReplenishmentPeriod</c>, per partition; see <see cref="CreateFixedWindow"/>.
    /// </summary>
    /// <param name="policyName">The policy's name; also its name in keys and response headers.</param>
    /// <param name="configure">Sets the limits; runs once, now.</param>
    /// <param name="partitionBy">Whose quota a request uses; <see langword="null"/> answers share one quota. The default is <see cref="HotpathPartitionKeys.ClientIp"/>.</param>
    /// <param name="appliesTo">Which requests the policy limits; the others are admitted without a decision or headers. The default is every request.</param>
    /// <returns>The limiter.</returns>
    /// <exception cref="ArgumentException">The name is empty or a limit is out of range (the message names it).</exception>
    public static PartitionedRateLimiter<HttpContext> CreateTokenBucket(string policyName, Action<HotpathTokenBucketRateLimiterOptions> configure, Func<HttpContext, string?>? partitionBy = null, Func<HttpContext, bool>? appliesTo = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var limits = new HotpathTokenBucketRateLimiterOptions();
        configure(limits);
        return new HotpathRequestRateLimiter(HotpathRateLimiterFactory.TokenBucket(policyName, limits), partitionBy ?? HotpathPartitionKeys.ClientIp, appliesTo);
    }
}
