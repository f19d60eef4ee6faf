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
}
