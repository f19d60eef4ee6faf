using Microsoft.AspNetCore.OutputCaching;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>A policy found by name in <see cref="HotpathResponseCacheOptions"/> at the first request.</summary>
internal sealed class NamedResponseCachePolicy(string name) : IOutputCachePolicy
{
    private Resolved? _resolved;

    public string Name { get; } = name;

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken cancellationToken) =>
        Resolve(context).CacheRequestAsync(context, cancellationToken);

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellationToken) =>
        Resolve(context).ServeFromCacheAsync(context, cancellationToken);

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellationToken) =>
        Resolve(context).ServeResponseAsync(context, cancellationToken);

    private IOutputCachePolicy Resolve(OutputCacheContext context)
    {
        var runtime = ResponseCacheRuntime.From(context.HttpContext);
        if (Volatile.Read(ref _resolved) is { } resolved && ReferenceEquals(resolved.Runtime, runtime))
        {
            return resolved.Policy;
        }

        if (!runtime.Options.Policies.TryGetValue(Name, out var policy))
        {
            throw new InvalidOperationException(
                $"No response cache policy is named '{Name}'. Add it with AddResponseCache(o => o.AddPolicy(\"{Name}\", …)).");
        }

        Volatile.Write(ref _resolved, new Resolved(runtime, policy));
        return policy;
    }

    private sealed record Resolved(ResponseCacheRuntime Runtime, IOutputCachePolicy Policy);
}
