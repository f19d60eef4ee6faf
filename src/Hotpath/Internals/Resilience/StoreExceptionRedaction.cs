using System.Collections;

namespace Hotpath.Internals;

/// <summary>
/// Removes the command-and-key entries StackExchange.Redis keeps in <see cref="Exception.Data"/> of a
/// store fault. The message text leaves keys out (<c>IncludeDetailInExceptions</c> is off), but a
/// timeout records <c>"GET some:key"</c> under <c>Redis-Message</c> regardless, and structured loggers
/// and error trackers export <see cref="Exception.Data"/>. Keys can carry user input, so they go
/// before the exception is logged or rethrown.
/// </summary>
internal static class StoreExceptionRedaction
{
    private const int MaxDepth = 8;

    public static void RemoveKeys(Exception exception) => RemoveKeys(exception, 0);

    private static void RemoveKeys(Exception? exception, int depth)
    {
        for (; exception is not null && depth < MaxDepth; exception = exception.InnerException, depth++)
        {
            if (exception is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    RemoveKeys(inner, depth + 1);
                }
            }

            IDictionary data;
            try
            {
                data = exception.Data;
                if (data.Count == 0 || data.IsReadOnly)
                {
                    continue;
                }

                List<object>? names = null;
                foreach (DictionaryEntry entry in data)
                {
                    if (entry.Key is string name && NamesACommand(name))
                    {
                        (names ??= []).Add(name);
                    }
                }

                foreach (var name in names ?? [])
                {
                    data.Remove(name);
                }
            }
            catch (NotSupportedException)
            {
                // A custom Data that cannot be changed: nothing of ours is in it.
            }
        }
    }

    // "Redis-Message" (command and key, always), "Redis-Message-Current"/"-Next" (with key when detail is on)
    // and "redis-command" (command and key, when detail is on).
    private static bool NamesACommand(string name) =>
        name.StartsWith("Redis-Message", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("redis-command", StringComparison.OrdinalIgnoreCase);
}
