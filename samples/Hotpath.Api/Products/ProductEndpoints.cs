using Hotpath.Api.Auth;
using Hotpath.Api.Caching;
using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Products;

/// <summary>
/// <c>/api/products</c>: cached reads (featured list, one product, pages of the list) and admin-only
/// writes that invalidate what they change.
/// </summary>
internal static class ProductEndpoints
{
    public const int MaxPageSize = 100;

    public const int MaxPage = 1_000_000;

    /// <summary>
    /// Maps the products routes and returns their group. The list and item reads are also cached as
    /// whole responses (anonymous requests only, tag <c>products</c>) by the engine <c>Caching:Engine</c>
    /// picked, Hotpath's response cache unless set; a create honours <c>Idempotency-Key</c>.
    /// </summary>
    public static RouteGroupBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var caching = app.ServiceProvider.GetRequiredService<CachingSettings>();
        var group = app.MapGroup("/api/products");
        group.MapGet("/", GetPageAsync)
            .CacheResponseWith(caching, ProductCacheKeys.ResponseTtl, ProductCacheKeys.ListTag, varyByQuery: ["page", "pageSize"]);
        group.MapGet("/featured", GetFeaturedAsync);
        group.MapGet("/{id:int}", GetByIdAsync)
            .CacheResponseWith(caching, ProductCacheKeys.ResponseTtl, ProductCacheKeys.ListTag);
        group.MapPost("/", CreateAsync).RequireAuthorization(AuthPolicies.Admin).RequireIdempotency();
        group.MapPut("/{id:int}", UpdateAsync).RequireAuthorization(AuthPolicies.Admin);
        group.MapDelete("/{id:int}", DeleteAsync).RequireAuthorization(AuthPolicies.Admin);
        return group;
    }

    private static async Task<IResult> GetFeaturedAsync(HttpContext http, CachedReader reader, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var featured = await reader.GetAsync(http, ProductCacheKeys.Featured, contexts, static async (contexts, ct) =>
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            return await db.Products.AsNoTracking()
                .Where(p => p.IsFeatured)
                .OrderBy(p => p.Id)
                .Select(p => new ProductDto(p.Id, p.Name, p.Description, p.Price, p.IsFeatured, p.UpdatedAt))
                .ToListAsync(ct);
        }, ProductCacheKeys.FeaturedOptions, cancellationToken);
        return TypedResults.Ok(featured.Value);
    }

    private static async Task<IResult> GetByIdAsync(int id, HttpContext http, CachedReader reader, ICache cache, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var key = ProductCacheKeys.Item(id);

        // An unknown id is cached as null, so repeating it (or trying random ids) does not reach the database.
        var product = await reader.GetAsync(http, key, (contexts, id), static async (state, ct) =>
        {
            await using var db = await state.contexts.CreateDbContextAsync(ct);
            var row = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == state.id, ct);
            return row is null ? null : ProductDto.From(row);
        }, ProductCacheKeys.ItemOptions, cancellationToken);

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

    private static async Task<IResult> GetPageAsync(int? page, int? pageSize, HttpContext http, CachedReader reader, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var p = page ?? 1;
        var size = pageSize ?? 20;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (p is < 1 or > MaxPage)
        {
            errors["page"] = [$"page must be between 1 and {MaxPage}."];
        }

        if (size is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var result = await reader.GetAsync(http, ProductCacheKeys.Page(p, size), (contexts, p, size), static async (state, ct) =>
        {
            await using var db = await state.contexts.CreateDbContextAsync(ct);
            var total = await db.Products.CountAsync(ct);
            var items = await db.Products.AsNoTracking()
                .OrderBy(x => x.Id)
                .Skip((state.p - 1) * state.size)
                .Take(state.size)
                .Select(x => new ProductDto(x.Id, x.Name, x.Description, x.Price, x.IsFeatured, x.UpdatedAt))
                .ToListAsync(ct);
            return new ProductPage(items, state.p, state.size, total, (total + state.size - 1) / state.size);
        }, ProductCacheKeys.PageOptions, cancellationToken);
        return TypedResults.Ok(result.Value);
    }

    private static async Task<IResult> CreateAsync(ProductInput input, AppDbContext db, ProductCacheInvalidator invalidator, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
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

        // The new id may have a cached 404, and the lists change.
        await invalidator.ProductChangedAsync(product.Id);
        Log.ProductCreated(loggers.CreateLogger(typeof(ProductEndpoints)), product.Id);
        return TypedResults.Created($"/api/products/{product.Id}", ProductDto.From(product));
    }

    private static async Task<IResult> UpdateAsync(int id, ProductInput input, AppDbContext db, ProductCacheInvalidator invalidator, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
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
        await invalidator.ProductChangedAsync(id);
        Log.ProductUpdated(loggers.CreateLogger(typeof(ProductEndpoints)), id);
        return TypedResults.Ok(ProductDto.From(product));
    }

    private static async Task<IResult> DeleteAsync(int id, AppDbContext db, ProductCacheInvalidator invalidator, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var deleted = await db.Products.Where(p => p.Id == id).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
        {
            return Problems.NotFound($"No product has id {id}.");
        }

        await invalidator.ProductChangedAsync(id);
        Log.ProductDeleted(loggers.CreateLogger(typeof(ProductEndpoints)), id);
        return TypedResults.NoContent();
    }
}
