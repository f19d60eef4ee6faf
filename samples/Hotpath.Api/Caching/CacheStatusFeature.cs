namespace Hotpath.Api.Caching;

/// <summary>The service-level cache's verdict for one request, written as <c>X-Cache</c> when the response starts.</summary>
internal sealed class CacheStatusFeature(HttpContext http)
{
    public HttpContext HttpContext { get; } = http;

    /// <summary><c>HIT</c> or <c>MISS</c> once a handler read through the cache; null when none did.</summary>
    public string? Value { get; set; }
}
