using Hotpath.Api.Data;

namespace Hotpath.Api.Products;

/// <summary>A product as the API returns and the cache stores it.</summary>
internal sealed record ProductDto(int Id, string Name, string Description, decimal Price, bool IsFeatured, DateTimeOffset UpdatedAt)
{
    public static ProductDto From(Product product) =>
        new(product.Id, product.Name, product.Description, product.Price, product.IsFeatured, product.UpdatedAt);
}
