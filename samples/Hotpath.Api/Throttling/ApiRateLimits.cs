namespace Hotpath.Api.Throttling;

/// <summary><c>RateLimits:Api</c>: a token bucket per signed-in user, else per client address, over all of <c>/api</c>.</summary>
internal sealed class ApiRateLimits
{
    /// <summary>
    /// Whether <c>/api</c> is throttled at all. The default is true; the HTTP benchmarks turn it off to
    /// measure the caches alone (the login limits stay either way).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The largest burst. The default is 100 requests.</summary>
    public int TokenLimit { get; set; } = 100;

    /// <summary>Requests added back every <see cref="ReplenishmentPeriod"/>. The default is 20.</summary>
    public int TokensPerPeriod { get; set; } = 20;

    /// <summary>The default is 1 second, so 20 requests a second are sustained.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}
