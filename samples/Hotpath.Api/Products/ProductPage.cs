namespace Hotpath.Api.Products;

/// <summary>One page of <c>GET /api/products</c>.</summary>
internal sealed record ProductPage(IReadOnlyList<ProductDto> Items, int Page, int PageSize, int TotalCount, int TotalPages);
