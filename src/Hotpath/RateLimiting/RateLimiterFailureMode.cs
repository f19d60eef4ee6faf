namespace Hotpath.RateLimiting;

/// <summary>What a Hotpath rate limiter decides when the server cannot be reached.</summary>
public enum RateLimiterFailureMode
{
    /// <summary>
    /// Admit requests and count them in process with an in-memory limiter of the same shape, so one
    /// instance still holds its own share of the limit while the server is away. The default.
    /// </summary>
    FailOpen = 0,

    /// <summary>Reject every request while the server cannot be reached (HTTP 503 in ASP.NET Core).</summary>
    FailClosed = 1,
}
