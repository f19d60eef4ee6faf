using Microsoft.Extensions.Logging;

namespace Hotpath.Locking.Internals;

/// <summary>
/// Log messages of the locks (event ids 4000-4019). A lock is named by its metrics label, never by its
/// name, which may carry user input.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Hotpath locks are held in this process because the cache is disabled: they exclude callers in this process only.")]
    public static partial void LocksInProcess(ILogger logger);

    [LoggerMessage(4001, LogLevel.Warning, "Extending a Hotpath lock ({Label}) failed ({Reason}); it is retried until the lease runs out.")]
    public static partial void ExtensionFailed(ILogger logger, string label, string reason, Exception exception);

    [LoggerMessage(4002, LogLevel.Warning, "A Hotpath lock ({Label}) was lost while held: its lease ran out or the lock was taken over.")]
    public static partial void LockLost(ILogger logger, string label);

    [LoggerMessage(4003, LogLevel.Warning, "Releasing a Hotpath lock ({Label}) failed ({Reason}); the lock frees itself when its lease runs out.")]
    public static partial void ReleaseFailed(ILogger logger, string label, string reason, Exception exception);

    [LoggerMessage(4004, LogLevel.Error, "A callback registered on a Hotpath lock's HandleLostToken threw.")]
    public static partial void LostCallbackFailed(ILogger logger, Exception exception);
}
