using System.Threading.RateLimiting;
using Hotpath;
using Hotpath.AspNetCore.RateLimiting.Internals;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.RateLimiting;

/// <summary>
/// Server-held partitions beside the framework's <c>RateLimitPartition.GetFixedWindowLimiter</c> and
/// friends, for partitioners of your own (<c>AddPolicy(name, ctx =&gt; …)</c>, a <c>GlobalLimiter</c>):
/// <c>RateLimitPartition.GetHotpathTokenBucketLimiter(ctx, "api", HotpathPartitionKeys.UserIdOrClientIp(ctx), _ =&gt; new() { … })</c>.
/// Needs <c>services.AddHotpath(...).AddRateLimiting()</c>. For a global limiter over one policy,
/// <see cref="HotpathPartitionedRateLimiter"/> decides the same way at less cost per request.
/// </summary>
public static class HotpathRateLimitPartitionExtensions
{
    extension(RateLimitPartition)
    {
        /// <summary>
        /// A partition whose fixed window limiter is held on the server. The partition's key combines
        /// <paramref name="policyName"/> and <paramref name="partitionKey"/>, so policies sharing one
        /// partitioned limiter never share a quota. Each decision is one round trip.
        /// </summary>
        /// <param name="httpContext">The request (its services hold the limiter factory).</param>
        /// <param name="policyName">The policy's name; also its name in keys and response headers.</param>
        /// <param name="partitionKey">Whose quota this is; escaped into the key.</param>
        /// <param name="factory">The limits of the partition; called once, when the partition's limiter is created.</param>
        /// <returns>The partition.</returns>
        public static RateLimitPartition<string> GetHotpathFixedWindowLimiter(HttpContext httpContext, string policyName, string partitionKey, Func<string, HotpathFixedWindowRateLimiterOptions> factory)
        {
            ArgumentNullException.ThrowIfNull(factory);
            var limiters = Prepare(httpContext, policyName, partitionKey);
            return RateLimitPartition.Get(CompositeKey(policyName, partitionKey), _ => limiters.Create(HotpathRateLimiterFactory.FixedWindow(policyName, factory(partitionKey)), partitionKey));
        }

        /// <summary>A partition whose sliding window limiter is held on the server; see <c>GetHotpathFixedWindowLimiter</c>.</summary>
        /// <param name="httpContext">The request (its services hold the limiter factory).</param>
        /// <param name="policyName">The policy's name; also its name in keys and response headers.</param>
        /// <param name="partitionKey">Whose quota this is; escaped into the key.</param>
        /// <param name="factory">The limits of the partition; called once, when the partition's limiter is created.</param>
        /// <returns>The partition.</returns>
        public static RateLimitPartition<string> GetHotpathSlidingWindowLimiter(HttpContext httpContext, string policyName, string partitionKey, Func<string, HotpathSlidingWindowRateLimiterOptions> factory)
        {
            ArgumentNullException.ThrowIfNull(factory);
            var limiters = Prepare(httpContext, policyName, partitionKey);
            return RateLimitPartition.Get(CompositeKey(policyName, partitionKey), _ => limiters.Create(HotpathRateLimiterFactory.SlidingWindow(policyName, factory(partitionKey)), partitionKey));
        }

        /// <summary>A partition whose token bucket limiter is held on the server; see <c>GetHotpathFixedWindowLimiter</c>.</summary>
        /// <param name="httpContext">The request (its services hold the limiter factory).</param>
        /// <param name="policyName">The policy's name; also its name in keys and response headers.</param>
        /// <param name="partitionKey">Whose quota this is; escaped into the key.</param>
        /// <param name="factory">The limits of the partition; called once, when the partition's limiter is created.</param>
        /// <returns>The partition.</returns>
        public static RateLimitPartition<string> GetHotpathTokenBucketLimiter(HttpContext httpContext, string policyName, string partitionKey, Func<string, HotpathTokenBucketRateLimiterOptions> factory)
        {
            ArgumentNullException.ThrowIfNull(factory);
            var limiters = Prepare(httpContext, policyName, partitionKey);
            return RateLimitPartition.Get(CompositeKey(policyName, partitionKey), _ => limiters.Create(HotpathRateLimiterFactory.TokenBucket(policyName, factory(partitionKey)), partitionKey));
        }
    }

    private static HotpathRateLimiterFactory Prepare(HttpContext httpContext, string policyName, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(policyName);
        ArgumentNullException.ThrowIfNull(partitionKey);
        return RateLimiterServices.Factory(httpContext);
    }

    /// <summary>Injective: the escaped policy name has no <c>:</c>, so the first one splits the two.</summary>
    private static string CompositeKey(string policyName, string partitionKey) => CacheKey.Escape(policyName) + ":" + partitionKey;
}
