using System.Threading.RateLimiting;

namespace Hotpath.RateLimiting;

/// <summary>Metadata names carried by the leases of Hotpath rate limiters.</summary>
public static class HotpathRateLimitMetadata
{
    /// <summary>
    /// The <see cref="HotpathRateLimitDecision"/> behind a lease, on every lease a Hotpath limiter
    /// returns from <c>AcquireAsync</c>. A rejected lease also carries <see cref="MetadataName.RetryAfter"/>.
    /// </summary>
    public static MetadataName<HotpathRateLimitDecision> Decision { get; } = MetadataName.Create<HotpathRateLimitDecision>("HOTPATH_RATE_LIMIT_DECISION");
}
