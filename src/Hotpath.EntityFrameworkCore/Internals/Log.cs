using Microsoft.Extensions.Logging;

namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>Hotpath.EntityFrameworkCore's log messages: event ids 5000–5099. Never a key, tag or value.</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Debug, "Hotpath invalidated {KeyCount} keys and {TagCount} tags after {Trigger}.")]
    public static partial void Invalidated(ILogger logger, int keyCount, int tagCount, string trigger);

    [LoggerMessage(5001, LogLevel.Error, "Hotpath could not invalidate {KeyCount} keys and {TagCount} tags after {Trigger}; the changes are saved and the cache may serve old values until they expire.")]
    public static partial void InvalidationFailed(ILogger logger, int keyCount, int tagCount, string trigger, Exception exception);

    [LoggerMessage(5002, LogLevel.Error, "A Hotpath key or tag declared for entity type {EntityType} threw; that key or tag is not invalidated for this write.")]
    public static partial void BuilderFailed(ILogger logger, string entityType, Exception exception);

    [LoggerMessage(5003, LogLevel.Debug, "Hotpath dropped {KeyCount} keys and {TagCount} tags to invalidate: the {Reason}.")]
    public static partial void Discarded(ILogger logger, int keyCount, int tagCount, string reason);

    [LoggerMessage(5004, LogLevel.Warning, "{Operation} wrote table {Table} of entity type {EntityType}, which declares keys but no tags: its cached keys could not be invalidated. Declare a tag and cache the entries with it.")]
    public static partial void BulkWithoutTags(ILogger logger, string operation, string table, string entityType);

    [LoggerMessage(5005, LogLevel.Debug, "A commit failed with an unknown outcome; Hotpath invalidates its {KeyCount} keys and {TagCount} tags anyway, since a needless miss is harmless and a stale entry is not.")]
    public static partial void CommitFailedInvalidating(ILogger logger, int keyCount, int tagCount);
}
