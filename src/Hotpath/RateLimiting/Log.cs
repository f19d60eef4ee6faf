using Microsoft.Extensions.Logging;

namespace Hotpath.RateLimiting;

/// <summary>
/// Source-generated log messages of the rate limiters (event ids 3000-3099, stable). No message carries
/// a partition key, which may be an address, a user id or an API key.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Warning, "Hotpath rate limiter '{Policy}' could not reach the server ({Reason}); its requests are {Outcome}. {Suppressed} similar faults were not logged since the last report.")]
    public static partial void ServerUnreachable(ILogger logger, string policy, string reason, string outcome, long suppressed, Exception exception);

    [LoggerMessage(3001, LogLevel.Information, "Hotpath rate limiters reach the server again after {Faults} faults.")]
    public static partial void ServerRecovered(ILogger logger, long faults);

    [LoggerMessage(3002, LogLevel.Information, "Hotpath rate limiters count in process because the cache is disabled by REDIS_URL: each instance holds its own limits.")]
    public static partial void CountingInProcess(ILogger logger);
}
