using Microsoft.Extensions.Logging;

namespace Hotpath.Internals;

/// <summary>
/// Source-generated log messages of the cache core. Event ids are stable. No message carries a value,
/// a token or a password; keys are reduced to their first segment.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Hotpath started an embedded Garnet server on {EndPoint}.")]
    public static partial void EmbeddedServerStarted(ILogger logger, string endPoint);

    [LoggerMessage(2, LogLevel.Information, "Hotpath cache uses {Server}.")]
    public static partial void UsingServer(ILogger logger, string server);

    [LoggerMessage(3, LogLevel.Information, "Hotpath cache is disabled by REDIS_URL: every read is a miss and every write a no-op.")]
    public static partial void CacheDisabled(ILogger logger);

    [LoggerMessage(4, LogLevel.Information, "Hotpath stopped the embedded Garnet server.")]
    public static partial void EmbeddedServerStopped(ILogger logger);

    [LoggerMessage(10, LogLevel.Warning, "Hotpath cache {Operation} failed ({Reason}); {Suppressed} similar faults were not logged since the last report. The request goes on without the cache.")]
    public static partial void StoreFault(ILogger logger, string operation, string reason, long suppressed, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Hotpath found an unreadable entry in key area '{Area}' ({Reason}); it was treated as a miss and deleted.")]
    public static partial void CorruptEntry(ILogger logger, string area, string reason);

    [LoggerMessage(12, LogLevel.Information, "Hotpath cache server answers again after {Faults} faults.")]
    public static partial void StoreRecovered(ILogger logger, long faults);

    [LoggerMessage(20, LogLevel.Debug, "Hotpath backplane subscribed; the memory tier is in use.")]
    public static partial void BackplaneSubscribed(ILogger logger);

    [LoggerMessage(21, LogLevel.Warning, "Hotpath backplane subscription lost ({Reason}); the memory tier is cleared and bypassed until it is back.")]
    public static partial void BackplaneLost(ILogger logger, string reason);

    [LoggerMessage(22, LogLevel.Information, "Hotpath backplane subscription restored; the memory tier starts empty.")]
    public static partial void BackplaneRestored(ILogger logger);

    [LoggerMessage(23, LogLevel.Warning, "Hotpath served a stale value in key area '{Area}' because the factory {Reason}.")]
    public static partial void FailSafeActivated(ILogger logger, string area, string reason, Exception? exception);

    [LoggerMessage(24, LogLevel.Warning, "Hotpath background refresh in key area '{Area}' failed; the current value stays until it expires.")]
    public static partial void BackgroundRefreshFailed(ILogger logger, string area, Exception exception);

    [LoggerMessage(30, LogLevel.Warning, "Hotpath cache server failed {Failures} times in a row; the cache is skipped for {BreakDuration} before one probe.")]
    public static partial void CircuitOpened(ILogger logger, int failures, TimeSpan breakDuration);

    [LoggerMessage(31, LogLevel.Error, "Hotpath could not keep more than {Capacity} failed invalidations; on recovery it resets the cache instead: every cached value written before reads as a miss.")]
    public static partial void InvalidationQueueOverflowed(ILogger logger, int capacity);

    [LoggerMessage(32, LogLevel.Information, "Hotpath replayed {Count} invalidations that failed while the server was unreachable (-1: the whole prefix was cleared).")]
    public static partial void InvalidationsReplayed(ILogger logger, int count);

    [LoggerMessage(33, LogLevel.Warning, "Hotpath lost its connection to {EndPoint} ({FailureType}) of a replicated deployment; a replica that takes over may lack acknowledged writes, so the cache resets: every cached value written before reads as a miss. {Suppressed} more were not logged.")]
    public static partial void ResettingAfterLostConnection(ILogger logger, string endPoint, StackExchange.Redis.ConnectionFailureType failureType, long suppressed);

    [LoggerMessage(34, LogLevel.Warning, "Hotpath's Sentinel connection now writes to another primary, {EndPoint}; a write the old one acknowledged may be missing there, so the cache resets: every cached value written before reads as a miss. {Suppressed} more were not logged.")]
    public static partial void ResettingAfterTopologyChange(ILogger logger, string endPoint, long suppressed);
}
