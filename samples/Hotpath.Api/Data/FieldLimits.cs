namespace Hotpath.Api.Data;

/// <summary>Lengths shared by the schema and the request validation, so they cannot drift apart.</summary>
internal static class FieldLimits
{
    public const int NameMaxLength = 200;

    public const int DescriptionMaxLength = 2000;

    public const int DisplayNameMaxLength = 100;
}
