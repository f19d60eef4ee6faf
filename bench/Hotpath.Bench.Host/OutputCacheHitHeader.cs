using Hotpath.Api.Caching;
using Microsoft.AspNetCore.OutputCaching;

namespace Hotpath.Bench.Host;

/// <summary>
/// With <see cref="BenchEngine.OutputCache"/>: marks a response served from ASP.NET Core's output cache
/// <c>X-Cache: HIT</c>, as Hotpath's response cache marks its own hits, so every engine answers the same
/// headers. Set before the framework copies the stored headers in, which never hold it (the framework takes
/// its copy before <see cref="CacheStatusMiddleware"/> writes the handler's verdict).
/// </summary>
internal sealed class OutputCacheHitHeader : IOutputCachePolicy
{
    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        context.HttpContext.Response.Headers[CacheHeader.Name] = CacheHeader.Hit;
        return ValueTask.CompletedTask;
    }

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
