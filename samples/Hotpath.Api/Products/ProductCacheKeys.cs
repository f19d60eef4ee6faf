namespace Hotpath.Api.Products;

/// <summary>The cache keys, tag and lifetimes of the products feature.</summary>
internal static class ProductCacheKeys
{
    /// <summary>The featured list.</summary>
    public const string Featured = "products:featured:v1";

    /// <summary>
    /// Carried by every cached page of the paged list and by every cached response of the list and item
    /// endpoints, so one invalidation clears them all.
    /// </summary>
    public const string ListTag = "products";

    /// <summary>One product, or the cached absence of one.</summary>
    public static string Item(int id) => CacheKey.Create($"product:{id}:v1");

    /// <summary>One page of the paged list.</summary>
    public static string Page(int page, int pageSize) => CacheKey.Create($"products:page:{page}:size:{pageSize}:v1");

    /// <summary>
    /// How long whole responses of <c>GET /api/products</c> and <c>GET /api/products/{id}</c> stay in the
    /// response cache. Every product write invalidates <see cref="ListTag"/>, which evicts them at once.
    /// </summary>
    public static readonly TimeSpan ResponseTtl = TimeSpan.FromSeconds(30);

    public static readonly CacheEntryOptions FeaturedOptions = CacheEntryOptions.WithTtl(TimeSpan.FromSeconds(60));

    public static readonly CacheEntryOptions ItemOptions = CacheEntryOptions.WithTtl(TimeSpan.FromMinutes(5));

    public static readonly CacheEntryOptions PageOptions = CacheEntryOptions.WithTtl(TimeSpan.FromSeconds(60)).WithTags(ListTag);

    /// <summary>
    /// How long an unknown id's 404 stays cached. Correctness does not depend on it (creating a product
    /// deletes its key); it only bounds how much memory random ids can take.
    /// </summary>
    public static readonly TimeSpan NotFoundTtl = TimeSpan.FromSeconds(10);
}
