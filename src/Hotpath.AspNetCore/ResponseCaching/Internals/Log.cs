using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// Source-generated log messages of the response cache (event ids 2000-2099, stable). Reasons are fixed
/// texts: no message carries a key, a header value, a user id, a cookie or a body.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Debug, "Hotpath response cache bypassed: {Reason}. The request runs normally.")]
    public static partial void Bypassed(ILogger logger, string reason);

    [LoggerMessage(2001, LogLevel.Debug, "Hotpath response cache did not store the response: {Reason}.")]
    public static partial void NotStored(ILogger logger, string reason);

    [LoggerMessage(2002, LogLevel.Warning, "Hotpath response cache saw a request become authenticated after its cache lookup: UseHotpathResponseCache() runs before UseAuthentication(). Such responses are never stored, and per-user caching needs the cache after authentication. Logged once.")]
    public static partial void AuthenticatedAfterLookup(ILogger logger);

    [LoggerMessage(2003, LogLevel.Debug, "Hotpath response cache waited {ElapsedMs} ms for a concurrent identical request to run the handler.")]
    public static partial void WaitedForConcurrentRequest(ILogger logger, long elapsedMs);

    [LoggerMessage(2004, LogLevel.Information, "Hotpath response cache stopped waiting for a concurrent identical request after {TimeoutMs} ms (MissWaitTimeout); the handler runs for this request too.")]
    public static partial void ConcurrentRequestWaitTimedOut(ILogger logger, long timeoutMs);

    [LoggerMessage(2005, LogLevel.Debug, "Hotpath response cache could not store a response ({Reason}); the response was served normally.")]
    public static partial void StoreFailed(ILogger logger, string reason);

    [LoggerMessage(2006, LogLevel.Warning, "Hotpath response cache could not read the authentication schemes ({Reason}); every request carrying a cookie is treated as authenticated.")]
    public static partial void AuthenticationSchemesUnavailable(ILogger logger, string reason, Exception exception);
}
