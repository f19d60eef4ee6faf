namespace Hotpath.Api.Data;

/// <summary>A product row.</summary>
internal sealed class Product
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public string Description { get; set; } = string.Empty;

    public decimal Price { get; set; }

    public bool IsFeatured { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
