using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// One request's state between the Hotpath policy (before the lookup, on a hit, before the store) and
/// the execution middleware that runs only when the handler does.
/// </summary>
internal sealed class ResponseCacheFeature(ResponseCacheRuntime runtime, HttpContext httpContext, HashSet<int> statusCodes)
{
    public ResponseCacheRuntime Runtime { get; } = runtime;

    public HttpContext HttpContext { get; } = httpContext;

    public HashSet<int> StatusCodes { get; } = statusCodes;

    /// <summary>Whether the request may be stored (a GET that was not bypassed).</summary>
    public bool Storing { get; set; }

    /// <summary>Whether the request looked authenticated when the key was built.</summary>
    public bool AuthenticatedAtLookup { get; set; }

    /// <summary>The user whose id is in the key (per-user policies); null for a shared entry.</summary>
    public string? KeyedUserId { get; set; }

    /// <summary>Whether the policy refused the request the cache (it is neither looked up nor stored).</summary>
    public bool Bypassed { get; set; }

    /// <summary>Why the response is not stored, once that is known; counted and logged once.</summary>
    public ResponseCacheReason? NotStoredReason { get; private set; }

    /// <summary>The handler ran for this request.</summary>
    public bool Executed { get; set; }

    /// <summary>The key identical concurrent requests share; null when waiting is off.</summary>
    public CoalescingKey? CoalescingKey { get; set; }

    /// <summary>The pending miss this request leads, until its lookup hits or its response completes.</summary>
    public ResponseCacheRuntime.PendingMiss? Leading { get; set; }

    /// <summary>Whether the response's completion already wakes this request's waiters.</summary>
    public bool FinishRegistered { get; set; }

    /// <summary>Records that the response will not be stored; only the first reason counts.</summary>
    public void NotStored(ResponseCacheReason reason)
    {
        if (NotStoredReason is not null)
        {
            return;
        }

        NotStoredReason = reason;
        Runtime.Metrics.NotStored(reason);
        Log.NotStored(Runtime.Logger, reason.Text);
    }
}
