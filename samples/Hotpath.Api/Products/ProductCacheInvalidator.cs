namespace Hotpath.Api.Products;

/// <summary>What a product write must invalidate, in one place so no write path forgets a part.</summary>
internal sealed class ProductCacheInvalidator(ICache cache)
{
    /// <summary>
    /// Deletes the product's entry (including a cached 404) and the featured list in one round trip,
    /// and invalidates every cached page through their tag in one more. Runs after the database
    /// commit, so a reader that misses afterwards loads the new data.
    /// </summary>
    /// <remarks>
    /// Not cancellable on purpose: once the row is committed the invalidation must happen even if the
    /// client has gone away, or the cache would keep serving the old row.
    /// </remarks>
    public async Task ProductChangedAsync(int id)
    {
        await cache.DeleteAsync([ProductCacheKeys.Item(id), ProductCacheKeys.Featured], CancellationToken.None);
        await cache.InvalidateTagAsync(ProductCacheKeys.ListTag, CancellationToken.None);
    }
}
