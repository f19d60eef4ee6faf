using Hotpath.Api.Data;

namespace Hotpath.Api.Products;

/// <summary>
/// The body of <c>POST</c> and <c>PUT /api/products</c>. Every member is nullable so a missing field is
/// reported by <see cref="Validate"/> as a field error rather than silently becoming a default.
/// </summary>
internal sealed record ProductInput(string? Name, string? Description, decimal? Price, bool? IsFeatured)
{
    /// <summary>Field errors keyed by the JSON name; empty when the input is valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (Name is null)
        {
            errors["name"] = ["The name is required."];
        }
        else if (string.IsNullOrWhiteSpace(Name) || Name.Trim().Length > FieldLimits.NameMaxLength)
        {
            errors["name"] = [$"The name must be 1 to {FieldLimits.NameMaxLength} characters."];
        }

        if (Description is { Length: > FieldLimits.DescriptionMaxLength })
        {
            errors["description"] = [$"The description must be at most {FieldLimits.DescriptionMaxLength} characters."];
        }

        if (Price is null)
        {
            errors["price"] = ["The price is required."];
        }
        else if (Price < 0)
        {
            errors["price"] = ["The price must be 0 or more."];
        }

        return errors;
    }

    /// <summary>Copies the (validated) input onto a row.</summary>
    public void ApplyTo(Product product, DateTimeOffset now)
    {
        product.Name = Name!.Trim();
        product.Description = Description?.Trim() ?? string.Empty;
        product.Price = Price!.Value;
        product.IsFeatured = IsFeatured ?? false;

        // PostgreSQL keeps microseconds: round here so the response and a later read agree.
        product.UpdatedAt = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }
}
