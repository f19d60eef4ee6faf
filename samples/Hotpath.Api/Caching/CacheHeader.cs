namespace Hotpath.Api.Caching;

/// <summary>The <c>X-Cache</c> response header every cached endpoint sets.</summary>
internal static class CacheHeader
{
    public const string Name = "X-Cache";

    public const string Hit = "HIT";

    public const string Miss = "MISS";

    /// <summary>
    /// Records what the service-level cache did for this request. With <see cref="CacheStatusMiddleware"/>
    /// in the pipeline the header is written as the response starts (see there why); without it, at once.
    /// </summary>
    public static void Set(HttpContext http, string value)
    {
        if (http.Features.Get<CacheStatusFeature>() is { } feature)
        {
            feature.Value = value;
        }
        else
        {
            http.Response.Headers[Name] = value;
        }
    }
}
