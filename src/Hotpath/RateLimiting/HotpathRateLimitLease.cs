using System.Threading.RateLimiting;

namespace Hotpath.RateLimiting;

/// <summary>A lease carrying its <see cref="HotpathRateLimitDecision"/> (and, when rejected, the retry-after).</summary>
internal sealed class HotpathRateLimitLease(HotpathRateLimitDecision decision) : RateLimitLease
{
    private static readonly string[] AcquiredNames = [HotpathRateLimitMetadata.Decision.Name];
    private static readonly string[] RejectedNames = [HotpathRateLimitMetadata.Decision.Name, MetadataName.RetryAfter.Name];

    public HotpathRateLimitDecision Decision { get; } = decision;

    public override bool IsAcquired => Decision.IsAcquired;

    public override IEnumerable<string> MetadataNames => Decision.IsAcquired ? AcquiredNames : RejectedNames;

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (metadataName == HotpathRateLimitMetadata.Decision.Name)
        {
            metadata = Decision;
            return true;
        }

        if (!Decision.IsAcquired && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = Decision.RetryAfter;
            return true;
        }

        metadata = null;
        return false;
    }
}

/// <summary>
/// A lease that carries no decision. <see cref="Undecided"/> is what a server-backed limiter answers to the
/// synchronous <c>AttemptAcquire</c> when it cannot decide without a round trip: not acquired, and a network
/// decision never blocks a thread; callers (the ASP.NET Core middleware among them) go on to
/// <c>AcquireAsync</c>, which decides. <see cref="NotLimited"/> admits a request a policy does not apply to.
/// </summary>
internal sealed class NoDecisionLease : RateLimitLease
{
    public static readonly NoDecisionLease Undecided = new(acquired: false);

    public static readonly NoDecisionLease NotLimited = new(acquired: true);

    private readonly bool _acquired;

    private NoDecisionLease(bool acquired) => _acquired = acquired;

    public override bool IsAcquired => _acquired;

    public override IEnumerable<string> MetadataNames => [];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = null;
        return false;
    }
}
