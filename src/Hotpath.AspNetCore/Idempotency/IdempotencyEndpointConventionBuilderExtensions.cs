using Hotpath.AspNetCore.Idempotency;
using Hotpath.AspNetCore.Idempotency.Internals;
using Microsoft.AspNetCore.Http;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Marks endpoints as honouring the <c>Idempotency-Key</c> header.</summary>
public static class IdempotencyEndpointConventionBuilderExtensions
{
    private static readonly IdempotentAttribute s_metadata = new();

    /// <summary>
    /// Makes the endpoints honour <c>Idempotency-Key</c> on unsafe methods (POST, PUT, PATCH, DELETE):
    /// a retry with the same key replays the first response, the same key with a different request is
    /// 422, a retry while the first still runs is 409. Needs <c>AddHotpath(…).AddIdempotency()</c> and
    /// <c>app.UseIdempotency()</c>; a request fails loudly when the middleware did not run.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint or group.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireIdempotency<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(s_metadata));
        builder.AddEndpointFilter(static (context, next) =>
        {
            IdempotencyMiddleware.EnsureRan(context.HttpContext);
            return next(context);
        });
        return builder;
    }
}
