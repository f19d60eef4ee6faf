namespace Hotpath.Api.Throttling;

/// <summary>
/// <c>RateLimits:Api</c>: a token bucket per signed-in user, else per client address, over all of <c>/api</c>,
/// admitted locally: each instance leases <see cref="BatchSize"/> tokens at a time from the cache server and
/// admits from them without a round trip.
/// </summary>
/// <remarks>
/// The defaults let one client read the featured list 1000 times in a burst (the lesson's "1000 requests,
/// 1 query") with room for the requests around it, and hold it to 100 a second after that; a lease every
/// 100 requests or so makes the limiter cost about 0.01 round trips per request.
/// </remarks>
internal sealed class ApiRateLimits
{
    /// <summary>
    /// Whether <c>/api</c> is throttled at all. The default is true; the HTTP benchmarks turn it off to
    /// measure the caches alone (the login limits stay either way).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The largest burst. The default is 1200 requests.</summary>
    public int TokenLimit { get; set; } = 1200;

    /// <summary>Requests added back every <see cref="ReplenishmentPeriod"/>. The default is 100.</summary>
    public int TokensPerPeriod { get; set; } = 100;

    /// <summary>The default is 1 second, so 100 requests a second are sustained and an empty bucket is full again in 12 s.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Tokens one lease takes from the cache server: 0 (every request is one script run, exact) or between 2
    /// and <see cref="TokenLimit"/>. The default is 200: about one round trip per 100 requests, and at most 200
    /// tokens per client and instance held at any time (docs/rate-limiting.md, local admission). Half a
    /// batch is what a busy instance may admit while the next lease is on its way; a smaller batch runs dry
    /// first and its requests wait for the lease.
    /// </summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>The most clients whose leased tokens an instance keeps; the least recently seen are dropped beyond it. The default is 10 000.</summary>
    public int MaxPartitions { get; set; } = 10_000;
}
