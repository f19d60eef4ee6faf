namespace Hotpath.Api.Caching;

/// <summary>Opts an endpoint into whole-response caching with the engine <c>Caching:Engine</c> picked.</summary>
internal static class CachingEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Caches the endpoint's anonymous GET responses for <paramref name="duration"/> under <paramref name="tag"/>,
    /// varied by <paramref name="varyByQuery"/> (every query key when none is named). The two engines' calls
    /// side by side: Hotpath's <c>CacheResponse</c>, and the same policy as the framework's <c>CacheOutput</c>
    /// (whose default policy also refuses authenticated requests and caches only 200s). With
    /// <see cref="CacheEngine.None"/> nothing is cached.
    /// </summary>
    public static TBuilder CacheResponseWith<TBuilder>(this TBuilder builder, CachingSettings settings, TimeSpan duration, string tag, params string[] varyByQuery)
        where TBuilder : IEndpointConventionBuilder =>
        settings.Engine switch
        {
            CacheEngine.Hotpath => builder.CacheResponse(policy =>
            {
                policy.Expire(duration).Tag(tag);
                if (varyByQuery.Length > 0)
                {
                    policy.VaryByQuery(varyByQuery);
                }
            }),
            CacheEngine.OutputCache => builder.CacheOutput(policy =>
            {
                policy.Expire(duration).Tag(tag).AddPolicy<OutputCacheHitHeader>();
                if (varyByQuery.Length > 0)
                {
                    policy.SetVaryByQuery(varyByQuery);
                }
            }),
            _ => builder,
        };
}
