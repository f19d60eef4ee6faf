using Hotpath.AspNetCore.ResponseCaching;
using Hotpath.AspNetCore.ResponseCaching.Internals;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Opts endpoints and route groups into Hotpath's HTTP response cache. A hit on a response this
/// instance has read before comes from the memory tier, without a round trip; otherwise it costs one
/// Redis round trip (two when the entry has tags and the memory tier, which otherwise supplies the tag
/// versions, is off). A miss costs two more: the claim on the key and the store. If Redis fails or is
/// slow the request runs normally as a miss. GET endpoints are also routed HEAD requests, which are
/// answered from the GET entry.
/// </summary>
public static class HotpathResponseCacheConventionBuilderExtensions
{
    /// <summary>
    /// Caches the endpoint's GET responses for <paramref name="duration"/>, tagged with
    /// <paramref name="tags"/> (so <c>ICache.InvalidateTagAsync(tag)</c> evicts them). Every query key
    /// varies the key; signed-in requests are not cached.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="duration">How long a response is kept; must be positive.</param>
    /// <param name="tags">Tags for invalidation.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder CacheResponse<TBuilder>(this TBuilder builder, TimeSpan duration, params string[] tags)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithPolicy(new HotpathResponseCachePolicyBuilder().Expire(duration).Tag(tags).Build());
    }

    /// <summary>Caches the endpoint's responses as <paramref name="configure"/> describes.</summary>
    /// <typeparam name="TBuilder">The endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="configure">Sets the policy up.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder CacheResponse<TBuilder>(this TBuilder builder, Action<HotpathResponseCachePolicyBuilder> configure)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var policy = new HotpathResponseCachePolicyBuilder();
        configure(policy);
        return builder.WithPolicy(policy.Build());
    }

    /// <summary>
    /// Caches the endpoint's responses with the named policy added by
    /// <see cref="HotpathResponseCacheOptions.AddPolicy(string, Action{HotpathResponseCachePolicyBuilder})"/>.
    /// An unknown name fails the endpoint's requests with an <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint or group builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <param name="policyName">The policy's name.</param>
    /// <returns>The same builder.</returns>
    public static TBuilder CacheResponse<TBuilder>(this TBuilder builder, string policyName)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        return builder.WithPolicy(new NamedResponseCachePolicy(policyName));
    }

    private static TBuilder WithPolicy<TBuilder>(this TBuilder builder, IOutputCachePolicy policy)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            endpoint.Metadata.Add(policy);
            BindRuntime(endpoint);
            AcceptHead(endpoint.Metadata);
        });
        return builder;
    }

    /// <summary>
    /// Puts the application's response-cache runtime in the endpoint's metadata, so a request finds it
    /// without resolving it from <c>HttpContext.RequestServices</c>, which would create the request's
    /// service scope on every hit. Without <c>AddResponseCache()</c> nothing is bound, and the first
    /// request fails with the error that names it.
    /// </summary>
    private static void BindRuntime(EndpointBuilder endpoint)
    {
        foreach (var item in endpoint.Metadata)
        {
            if (item is ResponseCacheRuntime)
            {
                return;
            }
        }

        if (endpoint.ApplicationServices.GetService<ResponseCacheRuntime>() is { } runtime)
        {
            endpoint.Metadata.Add(runtime);
        }
    }

    /// <summary>
    /// Lets a GET endpoint be routed HEAD requests too, so HEAD can be answered from the GET entry
    /// (routing would otherwise answer 405 before the cache runs). On a miss the handler runs and the
    /// server sends no body, as for any HEAD.
    /// </summary>
    private static void AcceptHead(IList<object> metadata)
    {
        for (var i = metadata.Count - 1; i >= 0; i--)
        {
            if (metadata[i] is IHttpMethodMetadata methods)
            {
                if (methods.HttpMethods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase)
                    && !methods.HttpMethods.Contains(HttpMethods.Head, StringComparer.OrdinalIgnoreCase))
                {
                    metadata.Add(new HttpMethodMetadata([.. methods.HttpMethods, HttpMethods.Head], methods.AcceptCorsPreflight));
                }

                return;
            }
        }
    }
}
