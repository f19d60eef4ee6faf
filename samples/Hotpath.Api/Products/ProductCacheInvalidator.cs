using Hotpath.Api.Caching;
using Microsoft.AspNetCore.OutputCaching;

namespace Hotpath.Api.Products;

/// <summary>What a product write must invalidate, in one place so no write path forgets a part.</summary>
internal sealed class ProductCacheInvalidator(ICache cache, CachingSettings caching, IServiceProvider services)
{
    // Hotpath's response cache keeps its entries under Hotpath's tag versions, which InvalidateTagAsync moves;
    // ASP.NET Core's Redis output-cache store keeps tag sets of its own, evicted only through the store.
    private readonly IOutputCacheStore? _outputCache = caching.Engine == CacheEngine.OutputCache ? services.GetRequiredService<IOutputCacheStore>() : null;

    /// <summary>
    /// Deletes the product's entry (including a cached 404) and the featured list in one round trip,
    /// and invalidates every cached page and response through their tag in one more (with
    /// <c>Caching:Engine</c> OutputCache, the framework's store evicts its responses by the tag as well).
    /// Runs after the database commit, so a reader that misses afterwards loads the new data.
    /// </summary>
    /// <remarks>
    /// Not cancellable on purpose: once the row is committed the invalidation must happen even if the
    /// client has gone away, or the cache would keep serving the old row.
    /// </remarks>
    public async Task ProductChangedAsync(int id)
    {
        await cache.DeleteAsync([ProductCacheKeys.Item(id), ProductCacheKeys.Featured], CancellationToken.None);
        await cache.InvalidateTagAsync(ProductCacheKeys.ListTag, CancellationToken.None);
        if (_outputCache is not null)
        {
            await _outputCache.EvictByTagAsync(ProductCacheKeys.ListTag, CancellationToken.None);
        }
    }
}
