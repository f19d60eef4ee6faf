using Hotpath.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Products;

/// <summary>
/// The database reads behind the product endpoints: what a cache miss costs. Each opens a context of its
/// own from the factory, because <c>GetOrSetAsync</c> may run it on behalf of several requests at once.
/// </summary>
internal static class ProductQueries
{
    /// <summary>Every featured product, by id; one SQL command.</summary>
    public static async ValueTask<List<ProductDto>> FeaturedAsync(IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Products.AsNoTracking()
            .Where(p => p.IsFeatured)
            .OrderBy(p => p.Id)
            .Select(p => new ProductDto(p.Id, p.Name, p.Description, p.Price, p.IsFeatured, p.UpdatedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>One product, or null when no product has the id; one SQL command.</summary>
    public static async ValueTask<ProductDto?> ByIdAsync(IDbContextFactory<AppDbContext> contexts, int id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.Products.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        return row is null ? null : ProductDto.From(row);
    }

    /// <summary>One page of every product by id, with the total count; two SQL commands.</summary>
    public static async ValueTask<ProductPage> PageAsync(IDbContextFactory<AppDbContext> contexts, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var total = await db.Products.CountAsync(cancellationToken);
        var items = await db.Products.AsNoTracking()
            .OrderBy(p => p.Id)
            .Skip((page - 1) * pageSize)
            .Take(pageSize)
            .Select(p => new ProductDto(p.Id, p.Name, p.Description, p.Price, p.IsFeatured, p.UpdatedAt))
            .ToListAsync(cancellationToken);
        return new ProductPage(items, page, pageSize, total, (total + pageSize - 1) / pageSize);
    }
}
