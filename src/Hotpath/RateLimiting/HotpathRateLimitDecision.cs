namespace Hotpath.RateLimiting;

/// <summary>
/// One decision of a Hotpath rate limiter, carried by its lease as the
/// <see cref="HotpathRateLimitMetadata.Decision"/> metadata. ASP.NET Core integration writes it into the
/// <c>RateLimit-Policy</c>, <c>RateLimit</c> and <c>Retry-After</c> response headers.
/// </summary>
public sealed class HotpathRateLimitDecision
{
    internal HotpathRateLimitDecision(RateLimitPolicyInfo policy, bool isAcquired, long remaining, TimeSpan reset, TimeSpan retryAfter, bool isLocal, bool isUnavailable, bool isFromAllowance = false)
    {
        IsFromAllowance = isFromAllowance;
        Policy = policy;
        IsAcquired = isAcquired;
        Remaining = remaining;
        Reset = reset;
        RetryAfter = retryAfter;
        IsLocal = isLocal;
        IsUnavailable = isUnavailable;
    }

    internal RateLimitPolicyInfo Policy { get; }

    /// <summary>The policy name the limiter was created with.</summary>
    public string PolicyName => Policy.Name;

    /// <summary>The quota of the policy: the permit limit, or the token limit of a bucket.</summary>
    public long Limit => Policy.Limit;

    /// <summary>The time the quota is measured over: the window, or the time an empty bucket takes to fill.</summary>
    public TimeSpan Window => Policy.Window;

    /// <summary>Whether the permits were granted.</summary>
    public bool IsAcquired { get; }

    /// <summary>The permits left in the partition after this decision.</summary>
    public long Remaining { get; }

    /// <summary>When the partition's quota is whole again: the end of the window, or the time until the bucket is full.</summary>
    public TimeSpan Reset { get; }

    /// <summary>For a rejection, the earliest time a retry of the same size can succeed; zero when acquired.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>
    /// Whether the decision was made by the in-process fallback limiter, because the server could not be
    /// reached (fail-open) or the cache is disabled.
    /// </summary>
    public bool IsLocal { get; }

    /// <summary>
    /// Whether the permits came from this instance's leased allowance (local admission) without a round
    /// trip; <see cref="Remaining"/> and <see cref="Reset"/> are then estimates from the last lease.
    /// </summary>
    public bool IsFromAllowance { get; }

    /// <summary>Whether the permits were refused because the server could not be reached (fail-closed), not because of the limit.</summary>
    public bool IsUnavailable { get; }
}
