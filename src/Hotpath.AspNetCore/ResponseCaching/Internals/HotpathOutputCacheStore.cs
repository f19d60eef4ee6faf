using Hotpath.Internals;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// The output cache's store over Hotpath's cache: entries are raw payload entries under the same key
/// prefix and tag versions as the service-level cache, so <c>ICache.InvalidateTagAsync</c> evicts
/// responses too. The payload is the framework's own binary entry (status, headers, body segments).
/// </summary>
/// <remarks>
/// A read costs one round trip, plus one for the tag versions when the entry has tags; a write costs one
/// (two with tags). A fault or a slow server makes a read a miss and drops a write, bounded by
/// <c>Hotpath:OperationTimeout</c>, so the request runs normally.
/// </remarks>
internal sealed class HotpathOutputCacheStore(HotpathCache cache, HotpathOptions options, ILoggerFactory loggerFactory) : IOutputCacheStore
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Hotpath.ResponseCache");

    public ValueTask EvictByTagAsync(string tag, CancellationToken cancellationToken) =>
        cache.InvalidateTagAsync(tag, cancellationToken);

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ResponseCacheKey.TryMapHeadToGet(key, out var getKey);
        return cache.GetBytesAsync(ResponseCacheKey.ToStoreKey(getKey, options.MaxKeyLength), cancellationToken);
    }

    public async ValueTask SetAsync(string key, byte[] value, string[]? tags, TimeSpan validFor, CancellationToken cancellationToken)
    {
        if (ResponseCacheKey.TryMapHeadToGet(key, out _))
        {
            // HEAD reads the GET entry; a HEAD response (no body) must never take its place.
            return;
        }

        try
        {
            await cache.SetBytesAsync(ResponseCacheKey.ToStoreKey(key, options.MaxKeyLength), value, validFor, tags, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // Only with Hotpath:ThrowOnWriteErrors; the fault is already logged by the cache. A response
            // that could not be stored has still been served.
            Log.StoreFailed(_logger, ex.GetType().Name);
        }
    }
}
