using Hotpath.Api.Auth;
using Hotpath.Api.Caching;
using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Products;

/// <summary>
/// <c>/api/products</c>: cached reads (featured list, one product, pages of the list) and admin-only writes.
/// </summary>
/// <remarks>
/// The writes hold no cache code: what a product write makes stale is declared once, in Program.cs
/// (<c>AddEntityFrameworkCore</c>), and EF Core's <c>SaveChanges</c> invalidates it after the commit,
/// before the handler goes on. The reads are cache-aside through <see cref="CachedReader"/>: read the
/// cache; on a miss read the database and store the result (<c>GetOrSetAsync</c>).
/// </remarks>
internal static class ProductEndpoints
{
    public const int MaxPageSize = 100;

    public const int MaxPage = 1_000_000;

    /// <summary>
    /// Maps the products routes and returns their group. The list and item reads are also cached as
    /// whole responses by Hotpath's response cache (anonymous requests only, tag <c>products</c>); a create
    /// honours <c>Idempotency-Key</c>.
    /// </summary>
    public static RouteGroupBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/products");
        group.MapGet("/", GetPageAsync).CacheResponse(static policy => policy
            .Expire(ProductCacheKeys.ResponseTtl)
            .Tag(ProductCacheKeys.ListTag)
            .VaryByQuery("page", "pageSize"));
        group.MapGet("/featured", GetFeaturedAsync);
        group.MapGet("/{id:int}", GetByIdAsync).CacheResponse(ProductCacheKeys.ResponseTtl, ProductCacheKeys.ListTag);
        group.MapPost("/", CreateAsync).RequireAuthorization(AuthPolicies.Admin).RequireIdempotency();
        group.MapPut("/{id:int}", UpdateAsync).RequireAuthorization(AuthPolicies.Admin);
        group.MapDelete("/{id:int}", DeleteAsync).RequireAuthorization(AuthPolicies.Admin);
        return group;
    }

    /// <summary><c>GET /api/products/featured</c>.</summary>
    internal static async Task<IResult> GetFeaturedAsync(HttpContext http, CachedReader reader, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var featured = await reader.GetAsync(http, ProductCacheKeys.Featured, contexts, ProductQueries.FeaturedAsync, ProductCacheKeys.FeaturedOptions, cancellationToken);
        return TypedResults.Ok(featured.Value);
    }

    /// <summary><c>GET /api/products/{id}</c>.</summary>
    internal static async Task<IResult> GetByIdAsync(int id, HttpContext http, CachedReader reader, ICache cache, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var key = ProductCacheKeys.Item(id);

        // An unknown id is cached as null, so repeating it (or trying random ids) does not reach the database.
        var product = await reader.GetAsync(http, key, (contexts, id),
            static (state, ct) => ProductQueries.ByIdAsync(state.contexts, state.id, ct),
            ProductCacheKeys.ItemOptions, cancellationToken);

        if (product.Value is not null)
        {
            return TypedResults.Ok(product.Value);
        }

        if (!product.FromCache)
        {
            // GetOrSet stored the absence with the item TTL; shorten it. Only the TTL of a key that
            // still exists changes, so this cannot bring back an absence a create has just deleted.
            await cache.RefreshAsync(key, ProductCacheKeys.NotFoundTtl, cancellationToken);
        }

        return Problems.NotFound($"No product has id {id}.");
    }

    /// <summary><c>GET /api/products?page=1&amp;pageSize=20</c>.</summary>
    internal static async Task<IResult> GetPageAsync(int? page, int? pageSize, HttpContext http, CachedReader reader, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var (p, size) = (page ?? 1, pageSize ?? 20);
        if (ValidatePage(p, size) is { } errors)
        {
            return Problems.Validation(errors);
        }

        var result = await reader.GetAsync(http, ProductCacheKeys.Page(p, size), (contexts, p, size),
            static (state, ct) => ProductQueries.PageAsync(state.contexts, state.p, state.size, ct),
            ProductCacheKeys.PageOptions, cancellationToken);
        return TypedResults.Ok(result.Value);
    }

    /// <summary>The field errors of a page request, or null when it is valid.</summary>
    internal static Dictionary<string, string[]>? ValidatePage(int page, int pageSize)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (page is < 1 or > MaxPage)
        {
            errors["page"] = [$"page must be between 1 and {MaxPage}."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        return errors.Count > 0 ? errors : null;
    }

    private static async Task<IResult> CreateAsync(ProductInput input, AppDbContext db, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var product = new Product { Name = string.Empty };
        input.ApplyTo(product, time.GetUtcNow());
        db.Products.Add(product);
        await db.SaveChangesAsync(cancellationToken);
        Log.ProductCreated(loggers.CreateLogger(typeof(ProductEndpoints)), product.Id);
        return TypedResults.Created($"/api/products/{product.Id}", ProductDto.From(product));
    }

    private static async Task<IResult> UpdateAsync(int id, ProductInput input, AppDbContext db, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var errors = input.Validate();
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var product = await db.Products.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return Problems.NotFound($"No product has id {id}.");
        }

        input.ApplyTo(product, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        Log.ProductUpdated(loggers.CreateLogger(typeof(ProductEndpoints)), id);
        return TypedResults.Ok(ProductDto.From(product));
    }

    private static async Task<IResult> DeleteAsync(int id, AppDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Through the change tracker rather than ExecuteDelete: the declared keys are built from the
        // entity, and a bulk delete has none (it would invalidate the tag only).
        var product = await db.Products.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return Problems.NotFound($"No product has id {id}.");
        }

        db.Products.Remove(product);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Deleted by someone else since it was read; their delete invalidated it.
            return Problems.NotFound($"No product has id {id}.");
        }

        Log.ProductDeleted(loggers.CreateLogger(typeof(ProductEndpoints)), id);
        return TypedResults.NoContent();
    }
}
