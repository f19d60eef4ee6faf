namespace Hotpath.Api.Data;

/// <summary>The catalogue every fresh database starts with: 200 products, one in ten featured.</summary>
internal static class SeedData
{
    public const int ProductCount = 200;

    private static readonly string[] s_adjectives =
    [
        "Amber", "Brass", "Cedar", "Copper", "Coral", "Denim", "Ember", "Flint", "Granite", "Hazel",
        "Indigo", "Juniper", "Linen", "Maple", "Nickel", "Olive", "Pewter", "Quartz", "Slate", "Walnut",
    ];

    private static readonly string[] s_nouns =
    [
        "Kettle", "Lamp", "Notebook", "Backpack", "Mug", "Chair", "Clock", "Blanket", "Skillet", "Speaker",
    ];

    private static readonly DateTimeOffset s_epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The products, in the order they are inserted (so a fresh database numbers them 1 to 200).</summary>
    public static IEnumerable<Product> Products()
    {
        for (var i = 1; i <= ProductCount; i++)
        {
            var adjective = s_adjectives[(i - 1) % s_adjectives.Length];
            var noun = s_nouns[(i - 1) / s_adjectives.Length];
            yield return new Product
            {
                Name = $"{adjective} {noun}",
                Description = $"A {adjective.ToLowerInvariant()} {noun.ToLowerInvariant()} from the Hotpath demo catalogue.",
                Price = 4.99m + (i * 37 % 400),
                IsFeatured = i % 10 == 0,
                UpdatedAt = s_epoch.AddHours(i),
            };
        }
    }
}
