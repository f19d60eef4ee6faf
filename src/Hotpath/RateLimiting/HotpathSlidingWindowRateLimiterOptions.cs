namespace Hotpath.RateLimiting;

/// <summary>
/// A sliding window limit held on the server: at most <see cref="PermitLimit"/> permits in any
/// <see cref="Window"/>, approximated with two counters (this window's and the previous one's, the
/// previous weighted by how much of it still overlaps the sliding window). Memory per partition is one
/// hash of three numbers however many requests arrive; the estimate assumes the previous window's
/// requests were spread evenly, so it can admit slightly more or fewer than an exact log would at a
/// window's edge, never more than <see cref="PermitLimit"/> within one window.
/// </summary>
public sealed class HotpathSlidingWindowRateLimiterOptions
{
    /// <summary>The permits a partition may take per sliding window. The default is 100.</summary>
    public int PermitLimit { get; set; } = 100;

    /// <summary>The length of the sliding window; at least one millisecond. The default is 1 minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>What happens while the server cannot be reached. The default is <see cref="RateLimiterFailureMode.FailOpen"/>.</summary>
    public RateLimiterFailureMode FailureMode { get; set; } = RateLimiterFailureMode.FailOpen;

    internal void Validate()
    {
        RateLimiterValidation.Positive(PermitLimit, nameof(PermitLimit));
        RateLimiterValidation.Duration(Window, nameof(Window));
        RateLimiterValidation.Mode(FailureMode);
    }
}
