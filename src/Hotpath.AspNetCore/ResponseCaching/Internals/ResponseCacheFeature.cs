using Hotpath.Internals;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// One request's state between the Hotpath policy (before the lookup, on a hit, before the store) and
/// the execution middleware that runs only when the handler does. It is also the store's claimant:
/// a GET that misses claims its key, and only the response computed under that claim may be stored.
/// </summary>
internal sealed class ResponseCacheFeature(ResponseCacheRuntime runtime, HttpContext httpContext, HashSet<int> statusCodes) : IBytesClaimant
{
    private bool _releaseRegistered;

    public ResponseCacheRuntime Runtime { get; } = runtime;

    public HttpContext HttpContext { get; } = httpContext;

    public HashSet<int> StatusCodes { get; } = statusCodes;

    /// <summary>The request headers the entry's key holds (lower-case), besides the host when <see cref="KeyedByHost"/>.</summary>
    public string[] KeyedHeaders { get; set; } = [];

    /// <summary>Whether the entry's key holds the host.</summary>
    public bool KeyedByHost { get; set; }

    /// <summary>Whether the request may be stored (a GET that was not bypassed).</summary>
    public bool Storing { get; set; }

    /// <summary>Whether the request looked authenticated when the key was built.</summary>
    public bool AuthenticatedAtLookup { get; set; }

    /// <summary>The user whose id is in the key (per-user policies); null for a shared entry.</summary>
    public string? KeyedUserId { get; set; }

    /// <summary>Whether the policy kept the request away from the cache (it is neither looked up nor stored).</summary>
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

    /// <summary>The tags the response is stored with.</summary>
    public IReadOnlyList<string>? Tags { get; set; }

    /// <summary>The store key this request claimed after its miss, with the lease; null before a claim or when another request holds it.</summary>
    public string? LeasedKey { get; private set; }

    /// <summary>The lease of <see cref="LeasedKey"/>, until the store uses it or the response completes.</summary>
    public BytesLease? Lease { get; private set; }

    /// <summary>Keeps the lease; a lease the store did not use is given back when the response has completed.</summary>
    public void Claimed(string key, BytesLease lease)
    {
        if (Lease is { } earlier && LeasedKey is { } earlierKey)
        {
            Runtime.Cache.ReleaseBytes(earlierKey, earlier);
        }

        LeasedKey = key;
        Lease = lease;
        if (!_releaseRegistered)
        {
            _releaseRegistered = true;
            HttpContext.Response.OnCompleted(static state =>
            {
                var feature = (ResponseCacheFeature)state;
                if (feature.Lease is { } unused)
                {
                    feature.Runtime.Cache.ReleaseBytes(feature.LeasedKey!, unused);
                }

                return Task.CompletedTask;
            }, this);
        }
    }

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
