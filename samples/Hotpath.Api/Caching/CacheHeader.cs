namespace Hotpath.Api.Caching;

/// <summary>The <c>X-Cache</c> response header every cached endpoint sets.</summary>
internal static class CacheHeader
{
    public const string Name = "X-Cache";

    public const string Hit = "HIT";

    public const string Miss = "MISS";
}
