namespace Hotpath.Api.Caching;

/// <summary>
/// Keeps <c>X-Cache</c> honest when two caches answer the same endpoint: Hotpath's response cache (whole
/// responses) in front of the handlers' service-level cache (values).
/// </summary>
/// <remarks>
/// <para>
/// A response-cache hit never runs the handler: the response cache says <c>HIT</c> (with <c>Age</c>) and
/// nothing here changes it. On a response-cache miss the handler runs and its own verdict stands: the
/// response cache marks the response <c>MISS</c> as it starts, and this middleware, placed before
/// <c>UseHotpathResponseCache()</c>, registers its start callback first, so it runs last and writes the
/// service-level <c>HIT</c> or <c>MISS</c> over it.
/// </para>
/// <para>
/// Handlers record the verdict in <see cref="CacheStatusFeature"/> rather than in the headers, so it is
/// never part of a stored response (the response cache copies the headers before the response starts)
/// and a later response-cache hit cannot replay an old <c>MISS</c>. Responses whose handler read no
/// cache are left alone.
/// </para>
/// </remarks>
internal sealed class CacheStatusMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var feature = new CacheStatusFeature(context);
        context.Features.Set(feature);
        context.Response.OnStarting(static state =>
        {
            var f = (CacheStatusFeature)state;
            if (f.Value is { } value)
            {
                f.HttpContext.Response.Headers[CacheHeader.Name] = value;
            }

            return Task.CompletedTask;
        }, feature);
        return next(context);
    }
}
