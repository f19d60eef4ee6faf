using Hotpath.AspNetCore.ResponseCaching.Internals;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds Hotpath's HTTP response cache to the request pipeline.</summary>
public static class HotpathResponseCacheApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the response cache (ASP.NET Core's output-cache middleware with Hotpath's store and
    /// policies). Only endpoints opted in with <c>.CacheResponse(…)</c>, <c>[CacheResponse]</c> or a
    /// Hotpath named policy are cached; every other request passes through. Place it after
    /// <c>UseAuthentication()</c> so per-user policies can key by user; placed before, signed-in requests
    /// are still never stored in a shared entry (the policy re-checks the user before storing).
    /// Do not also call <c>UseOutputCache()</c>: this call adds it. A request to an endpoint without a
    /// cache policy costs nothing beyond two metadata and feature lookups; see
    /// <c>CacheResponse</c> for what a cached one costs.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application builder.</returns>
    /// <exception cref="InvalidOperationException"><c>AddHotpath(…).AddResponseCache()</c> was not called.</exception>
    public static IApplicationBuilder UseHotpathResponseCache(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Checked without building the service: nothing connects to the server while the pipeline is built.
        if (app.ApplicationServices.GetService<IServiceProviderIsService>() is { } services && !services.IsService(typeof(ResponseCacheRuntime)))
        {
            throw new InvalidOperationException(
                "UseHotpathResponseCache() needs the response cache services: call services.AddHotpath(…).AddResponseCache() when configuring services.");
        }

        // Options are checked now, so a bad setting fails at start-up; they do not connect anything.
        app.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hotpath.AspNetCore.ResponseCaching.HotpathResponseCacheOptions>>().Value.Validate();
        app.UseOutputCache();
        app.UseMiddleware<ResponseCacheExecutionMiddleware>();
        return app;
    }
}
