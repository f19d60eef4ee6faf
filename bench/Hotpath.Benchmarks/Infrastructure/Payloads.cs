using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// The values the suites cache: a ~300-byte <see cref="Product"/> and a ~20 KB <see cref="List{Product}"/>
/// (and their immutable twins), built once, deterministic, and the JSON options every peer that lets
/// us choose serializes them with.
/// </summary>
public static class Payloads
{
    /// <summary>How many products make the large list about 20 KB of JSON.</summary>
    public const int LargeCount = 66;

    /// <summary>System.Text.Json with web defaults, the same options Hotpath's default serializer uses.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    public static Product Small { get; } = MakeProduct(42);

    public static List<Product> Large { get; } = [.. Enumerable.Range(1, LargeCount).Select(MakeProduct)];

    public static FrozenProduct FrozenSmall { get; } = Freeze(Small);

    public static FrozenCatalog FrozenLarge { get; } = new() { Items = [.. Large.Select(Freeze)] };

    /// <summary>The payload of type <typeparamref name="T"/>: one of the four above.</summary>
    public static T Get<T>() => (T)(object)(typeof(T) switch
    {
        var t when t == typeof(Product) => Small,
        var t when t == typeof(List<Product>) => Large,
        var t when t == typeof(FrozenProduct) => FrozenSmall,
        var t when t == typeof(FrozenCatalog) => FrozenLarge,
        var t => throw new NotSupportedException($"No payload of type {t}."),
    });

    /// <summary>A label for tables: "~300 B object" or "~20 KB list".</summary>
    public static string Label<T>() => typeof(T) == typeof(Product) || typeof(T) == typeof(FrozenProduct) ? "small" : "large";

    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Json.GetTypeInfo(typeof(T));

    /// <summary>The JSON size of the payload, for the printed summary.</summary>
    public static int JsonSize<T>() => JsonSerializer.SerializeToUtf8Bytes(Get<T>(), TypeInfo<T>()).Length;

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        options.MakeReadOnly();
        return options;
    }

    private static Product MakeProduct(int id) => new()
    {
        Id = id,
        Sku = $"HP-{id:D6}",
        Name = $"Burr grinder No. {id}",
        Slug = $"burr-grinder-{id}",
        Description = "Conical burr, 40 steps, quiet.",
        Price = 149.90m + id,
        Currency = "EUR",
        Stock = 10 + (id % 90),
        Rating = 4.5,
        IsFeatured = id % 3 == 0,
        Tags = ["coffee", "grinder"],
        CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddDays(id),
        UpdatedAt = new DateTimeOffset(2026, 11, 2, 3, 4, 5, TimeSpan.Zero).AddMinutes(id),
    };

    private static FrozenProduct Freeze(Product p) => new()
    {
        Id = p.Id,
        Sku = p.Sku,
        Name = p.Name,
        Slug = p.Slug,
        Description = p.Description,
        Price = p.Price,
        Currency = p.Currency,
        Stock = p.Stock,
        Rating = p.Rating,
        IsFeatured = p.IsFeatured,
        Tags = [.. p.Tags],
        CreatedAt = p.CreatedAt,
        UpdatedAt = p.UpdatedAt,
    };
}
