using System.ComponentModel;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// <see cref="Product"/>'s shape as a sealed, <c>[ImmutableObject(true)]</c> type: HybridCache returns such
/// instances from its memory tier without deserializing a copy on every hit.
/// </summary>
[ImmutableObject(true)]
public sealed class FrozenProduct
{
    public int Id { get; init; }

    public string Sku { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Slug { get; init; } = string.Empty;

    public string Description { get; init; } = string.Empty;

    public decimal Price { get; init; }

    public string Currency { get; init; } = string.Empty;

    public int Stock { get; init; }

    public double Rating { get; init; }

    public bool IsFeatured { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}
