using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.Idempotency.Internals;

/// <summary>Log messages of the idempotency middleware (event ids 4040-4069). No message carries a key, a user id or a body.</summary>
internal static partial class Log
{
    [LoggerMessage(4040, LogLevel.Warning, "Idempotency keys are not enforced because the Hotpath cache is disabled: requests carrying Idempotency-Key run every time.")]
    public static partial void PassThroughWhileDisabled(ILogger logger);

    [LoggerMessage(4041, LogLevel.Warning, "A response to an idempotent request was larger than {Limit} bytes (MaxResponseBodySize): its status and headers are stored and a replay has an empty body.")]
    public static partial void ResponseTooLarge(ILogger logger, int limit);

    [LoggerMessage(4042, LogLevel.Warning, "An idempotency record could not be read; the request runs without idempotency.")]
    public static partial void UnreadableRecord(ILogger logger);

    [LoggerMessage(4043, LogLevel.Warning, "The idempotency store failed to {Operation} ({Reason}); {Outcome}. {Suppressed} similar faults were not logged since the last report.")]
    public static partial void StoreFault(ILogger logger, string operation, string reason, string outcome, long suppressed, Exception exception);

    [LoggerMessage(4044, LogLevel.Debug, "An idempotent request's in-progress marker was taken over before the response was stored; the response was not stored.")]
    public static partial void MarkerLost(ILogger logger);
}
