namespace Hotpath.RateLimiting;

/// <summary>What a policy advertises: its name, quota and window. Shared by every decision of the policy.</summary>
internal sealed class RateLimitPolicyInfo(string name, long limit, TimeSpan window)
{
    public string Name { get; } = name;

    public long Limit { get; } = limit;

    public TimeSpan Window { get; } = window;

    /// <summary>The quoted policy name of the response headers, computed once by the HTTP integration.</summary>
    public string? HeaderPrefix { get; set; }

    /// <summary>The policy's whole <c>RateLimit-Policy</c> entry, computed once by the HTTP integration.</summary>
    public string? PolicyHeader { get; set; }
}
