using Hotpath.Internals;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// The output cache's store over Hotpath's cache: entries are raw payload entries under the same key
/// prefix and tag versions as the service-level cache, so <c>ICache.InvalidateTagAsync</c> evicts
/// responses too. The payload is the framework's own binary entry (status, headers, body segments).
/// </summary>
/// <remarks>
/// <para>
/// A read costs one round trip, plus one for the tag versions when the entry has tags (none when the
/// memory tier holds them); a write costs one. A fault or a slow server makes a read a miss and drops
/// a write, bounded by <c>Hotpath:OperationTimeout</c>, so the request runs normally.
/// </para>
/// <para>
/// For a request under a Hotpath policy, a GET that misses also claims its key (one more round trip,
/// with the tag versions read alongside), and only the response computed under that claim is stored,
/// over the claim, with those tag versions. A delete of the key or an invalidation of one of its tags
/// while the handler runs therefore keeps the response it computed out of the cache, whichever
/// instance made the change. Endpoints under the framework's own policies use the memory tier's
/// invalidation counters for the same check.
/// </para>
/// </remarks>
internal sealed class HotpathOutputCacheStore(HotpathCache cache, HotpathOptions options, ILoggerFactory loggerFactory, IHttpContextAccessor? requests) : IOutputCacheStore
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Hotpath.ResponseCache");

    public ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken) =>
        cache.InvalidateTagAsync(tag, cancellationToken);

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var head = ResponseCacheKey.TryMapHeadToGet(key, out var getKey);
        var claimant = head ? null : Feature();
        return cache.GetBytesAsync(ResponseCacheKey.ToStoreKey(getKey, options.MaxKeyLength), cancellationToken, claimant is { Storing: true } ? claimant : null);
    }

    public async ValueTask SetAsync(string key, byte[] value, string[]? tags, TimeSpan validFor, CancellationToken cancellationToken)
    {
        if (ResponseCacheKey.TryMapHeadToGet(key, out _))
        {
            // HEAD reads the GET entry; a HEAD response (no body) must never take its place.
            return;
        }

        var storeKey = ResponseCacheKey.ToStoreKey(key, options.MaxKeyLength);
        try
        {
            if (Feature() is not { Storing: true } feature)
            {
                await cache.SetBytesAsync(storeKey, value, validFor, tags, cancellationToken).ConfigureAwait(false);
            }
            else if (feature.Lease is { } lease && feature.LeasedKey == storeKey)
            {
                await cache.SetBytesIfLeasedAsync(storeKey, value, validFor, lease, cancellationToken).ConfigureAwait(false);
            }

            // A request under a Hotpath policy without a claim (another request holds the key, or the
            // server faulted at the lookup) stores nothing: what it computed is not known to be current.
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // Only with Hotpath:ThrowOnWriteErrors; the fault is already logged by the cache. A response
            // that could not be stored has still been served.
            Log.StoreFailed(_logger, ex.GetType().Name);
        }
    }

    private ResponseCacheFeature? Feature() => requests?.HttpContext?.Features.Get<ResponseCacheFeature>();
}
