using Hotpath.AspNetCore.ResponseCaching.Internals;
using Microsoft.AspNetCore.OutputCaching;

namespace Hotpath.AspNetCore.ResponseCaching;

/// <summary>
/// Caches an MVC action's (or every action of a controller's) responses with Hotpath's response cache,
/// as <c>.CacheResponse(…)</c> does for minimal API endpoints. Either name a policy with
/// <see cref="PolicyName"/>, or describe one with the other properties. An attribute on the action
/// wins over one on its controller.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class CacheResponseAttribute : Attribute, IOutputCachePolicy
{
    private IOutputCachePolicy? _policy;

    /// <summary>
    /// How long a response is kept, in seconds; 0 uses <see cref="HotpathResponseCacheOptions.DefaultDuration"/>.
    /// The default is 0.
    /// </summary>
    public int Duration { get; init; }

    /// <summary>Tags for <c>ICache.InvalidateTagAsync</c>. The default is none.</summary>
    public string[]? Tags { get; init; }

    /// <summary>
    /// The query keys the action reads; a request with another key is handled as <see cref="UnknownQueryKeys"/>
    /// says. The default (null) varies the key by every query key.
    /// </summary>
    public string[]? VaryByQueryKeys { get; init; }

    /// <summary>What a request with a query key not in <see cref="VaryByQueryKeys"/> does. The default is <see cref="UnknownQueryKeyHandling.Bypass"/>.</summary>
    public UnknownQueryKeyHandling UnknownQueryKeys { get; init; } = UnknownQueryKeyHandling.Bypass;

    /// <summary>Request headers that vary the key, for example <c>Accept</c>. The default is none.</summary>
    public string[]? VaryByHeaderNames { get; init; }

    /// <summary>
    /// Whether signed-in users get entries of their own, keyed by their user id claim. The default is
    /// <see langword="false"/>: signed-in requests are not cached.
    /// </summary>
    public bool PerUser { get; init; }

    /// <summary>Status codes to store instead of <see cref="HotpathResponseCacheOptions.CacheableStatusCodes"/>. The default is null.</summary>
    public int[]? StatusCodes { get; init; }

    /// <summary>
    /// A policy added with <see cref="HotpathResponseCacheOptions.AddPolicy(string, Action{HotpathResponseCachePolicyBuilder})"/>;
    /// when set, no other property may be. The default is null.
    /// </summary>
    public string? PolicyName { get; init; }

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken cancellationToken) =>
        Policy.CacheRequestAsync(context, cancellationToken);

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellationToken) =>
        Policy.ServeFromCacheAsync(context, cancellationToken);

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellationToken) =>
        Policy.ServeResponseAsync(context, cancellationToken);

    private IOutputCachePolicy Policy => _policy ??= Build();

    private IOutputCachePolicy Build()
    {
        if (PolicyName is not null)
        {
            if (Duration != 0 || Tags is not null || VaryByQueryKeys is not null || VaryByHeaderNames is not null || PerUser || StatusCodes is not null
                || UnknownQueryKeys != UnknownQueryKeyHandling.Bypass)
            {
                throw new InvalidOperationException($"[CacheResponse(PolicyName = \"{PolicyName}\")] sets other properties too; put them in the named policy.");
            }

            return new NamedResponseCachePolicy(PolicyName);
        }

        var builder = new HotpathResponseCachePolicyBuilder();
        if (Duration < 0)
        {
            throw new InvalidOperationException("[CacheResponse] Duration must not be negative.");
        }

        if (Duration > 0)
        {
            builder.Expire(TimeSpan.FromSeconds(Duration));
        }

        if (Tags is not null)
        {
            builder.Tag(Tags);
        }

        if (VaryByQueryKeys is not null)
        {
            builder.VaryByQuery(VaryByQueryKeys);
        }

        builder.UnknownQueryKeys(UnknownQueryKeys);

        if (VaryByHeaderNames is not null)
        {
            builder.VaryByHeader(VaryByHeaderNames);
        }

        if (PerUser)
        {
            builder.PerUser();
        }

        if (StatusCodes is not null)
        {
            builder.CacheStatusCodes(StatusCodes);
        }

        return builder.Build();
    }
}
