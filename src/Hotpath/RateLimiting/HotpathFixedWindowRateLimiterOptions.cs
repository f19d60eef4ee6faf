namespace Hotpath.RateLimiting;

/// <summary>
/// A fixed window limit held on the server: at most <see cref="PermitLimit"/> permits per
/// <see cref="Window"/>. A partition's window starts at its first admitted request (server clock) and
/// its counter is one small hash that expires with the window.
/// </summary>
public sealed class HotpathFixedWindowRateLimiterOptions
{
    /// <summary>The permits a partition may take per window. The default is 100.</summary>
    public int PermitLimit { get; set; } = 100;

    /// <summary>The length of a window; at least one millisecond. The default is 1 minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>What happens while the server cannot be reached. The default is <see cref="RateLimiterFailureMode.FailOpen"/>.</summary>
    public RateLimiterFailureMode FailureMode { get; set; } = RateLimiterFailureMode.FailOpen;

    /// <summary>
    /// Local admission: instances lease batches of permits and admit without a round trip per request.
    /// Off by default; see <see cref="HotpathLocalAdmissionOptions"/>.
    /// </summary>
    public HotpathLocalAdmissionOptions LocalAdmission { get; set; } = new();

    internal void Validate()
    {
        RateLimiterValidation.Positive(PermitLimit, nameof(PermitLimit));
        RateLimiterValidation.Duration(Window, nameof(Window));
        RateLimiterValidation.Mode(FailureMode);
        ArgumentNullException.ThrowIfNull(LocalAdmission, nameof(LocalAdmission));
        LocalAdmission.Validate(PermitLimit, nameof(PermitLimit));
    }
}
