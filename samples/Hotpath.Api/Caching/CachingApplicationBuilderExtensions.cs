namespace Hotpath.Api.Caching;

/// <summary>Adds the response cache <c>Caching:Engine</c> picked to the pipeline.</summary>
internal static class CachingApplicationBuilderExtensions
{
    /// <summary><c>UseHotpathResponseCache()</c> (the default), the framework's <c>UseOutputCache()</c>, or nothing.</summary>
    public static IApplicationBuilder UseResponseCacheEngine(this IApplicationBuilder app, CachingSettings settings)
    {
        _ = settings.Engine switch
        {
            CacheEngine.Hotpath => app.UseHotpathResponseCache(),
            CacheEngine.OutputCache => app.UseOutputCache(),
            _ => app,
        };
        return app;
    }
}
