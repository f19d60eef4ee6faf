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
/// What a server-backed limiter answers to the synchronous <c>AttemptAcquire</c>: not acquired, with
/// no metadata, and without a round trip. A network decision never blocks a thread; callers (the ASP.NET
/// Core middleware among them) go on to <c>AcquireAsync</c>, which decides.
/// </summary>
internal sealed class UndecidedLease : RateLimitLease
{
    public static readonly UndecidedLease Instance = new();

    public override bool IsAcquired => false;

    public override IEnumerable<string> MetadataNames => [];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = null;
        return false;
    }
}
