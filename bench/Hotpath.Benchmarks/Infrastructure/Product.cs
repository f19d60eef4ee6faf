namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// The cached object of every suite: about 300 bytes of JSON alone, and the element of the ~20 KB list.
/// A plain mutable class, as most applications cache.
/// </summary>
public class Product
{
    public int Id { get; set; }

    public string Sku { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string Slug { get; set; } = string.Empty;

    public string Description { get; set; } = string.Empty;

    public decimal Price { get; set; }

    public string Currency { get; set; } = string.Empty;

    public int Stock { get; set; }

    public double Rating { get; set; }

    public bool IsFeatured { get; set; }

    public string[] Tags { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
