using Microsoft.Extensions.Logging;

namespace Hotpath.Caching.Internals;

/// <summary>Log messages of the distributed cache adapter (event ids 4070-4089). No message carries a key or a value.</summary>
internal static partial class Log
{
    [LoggerMessage(4070, LogLevel.Information, "Hotpath's IDistributedCache keeps entries in this process because the cache is disabled: session and other framework state is not shared between instances.")]
    public static partial void DistributedCacheInProcess(ILogger logger);

    [LoggerMessage(4071, LogLevel.Information, "AddDistributedCache() did not register Hotpath's IDistributedCache because the application already registered {Type}; that one stays in use.")]
    public static partial void DistributedCacheAlreadyRegistered(ILogger logger, string type);
}
