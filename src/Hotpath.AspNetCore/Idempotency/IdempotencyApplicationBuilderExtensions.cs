using Hotpath.AspNetCore.Idempotency.Internals;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the idempotency middleware to the pipeline.</summary>
public static class IdempotencyApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the middleware that honours <c>Idempotency-Key</c> on endpoints marked with
    /// <c>.RequireIdempotency()</c> or <c>[Idempotent]</c>. Place it after <c>UseAuthentication()</c> and
    /// <c>UseAuthorization()</c>, so keys are scoped to the signed-in user, and before the endpoints.
    /// Other requests pass through untouched.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    /// <exception cref="InvalidOperationException"><c>AddIdempotency()</c> was not called.</exception>
    public static IApplicationBuilder UseIdempotency(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Checked without building the service: nothing connects to the server while the pipeline is built.
        if (app.ApplicationServices.GetService<IServiceProviderIsService>() is { } services && !services.IsService(typeof(IdempotencyStore)))
        {
            throw new InvalidOperationException(
                "UseIdempotency() needs its services: call builder.Services.AddHotpath(…).AddIdempotency() first.");
        }

        return app.UseMiddleware<IdempotencyMiddleware>();
    }
}
