namespace Hotpath.RateLimiting;

/// <summary>
/// A token bucket held on the server: a partition starts with <see cref="TokenLimit"/> tokens, each
/// permit takes one, and <see cref="TokensPerPeriod"/> come back every <see cref="ReplenishmentPeriod"/>
/// (server clock) up to the limit. Bursts up to the limit, a steady rate after that.
/// </summary>
public sealed class HotpathTokenBucketRateLimiterOptions
{
    /// <summary>The most tokens the bucket holds, and so the largest burst. The default is 100.</summary>
    public int TokenLimit { get; set; } = 100;

    /// <summary>The tokens added every <see cref="ReplenishmentPeriod"/>. The default is 10.</summary>
    public int TokensPerPeriod { get; set; } = 10;

    /// <summary>How often tokens are added; at least one millisecond. The default is 1 second.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>What happens while the server cannot be reached. The default is <see cref="RateLimiterFailureMode.FailOpen"/>.</summary>
    public RateLimiterFailureMode FailureMode { get; set; } = RateLimiterFailureMode.FailOpen;

    /// <summary>
    /// Local admission: instances lease batches of tokens and admit without a round trip per request.
    /// Off by default; see <see cref="HotpathLocalAdmissionOptions"/>.
    /// </summary>
    public HotpathLocalAdmissionOptions LocalAdmission { get; set; } = new();

    internal void Validate()
    {
        RateLimiterValidation.Positive(TokenLimit, nameof(TokenLimit));
        RateLimiterValidation.Positive(TokensPerPeriod, nameof(TokensPerPeriod));
        RateLimiterValidation.Duration(ReplenishmentPeriod, nameof(ReplenishmentPeriod));
        RateLimiterValidation.Mode(FailureMode);
        ArgumentNullException.ThrowIfNull(LocalAdmission, nameof(LocalAdmission));
        LocalAdmission.Validate(TokenLimit, nameof(TokenLimit));
    }
}
