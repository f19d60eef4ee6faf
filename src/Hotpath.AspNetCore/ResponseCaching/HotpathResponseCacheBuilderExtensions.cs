using Hotpath;
using Hotpath.AspNetCore;
using Hotpath.AspNetCore.ResponseCaching;
using Hotpath.AspNetCore.ResponseCaching.Internals;
using Hotpath.Internals;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Hotpath's HTTP response cache.</summary>
public static class HotpathResponseCacheBuilderExtensions
{
    /// <summary>
    /// Registers the response cache: ASP.NET Core's output caching with Hotpath's store (entries in the
    /// same server, key prefix and tag scheme as <see cref="ICache"/>) and Hotpath's policies. Add
    /// <c>app.UseHotpathResponseCache()</c> to the pipeline (after <c>UseAuthentication()</c>) and opt
    /// endpoints in with <c>.CacheResponse(…)</c> or <c>[CacheResponse]</c>.
    /// </summary>
    /// <remarks>
    /// This replaces any other <see cref="IOutputCacheStore"/> registered before it, and sets the
    /// framework's <see cref="OutputCacheOptions.MaximumBodySize"/> and
    /// <see cref="OutputCacheOptions.UseCaseSensitivePaths"/> from <see cref="HotpathResponseCacheOptions"/>.
    /// Invalid options fail at start-up with a <see cref="HotpathConfigurationException"/>.
    /// </remarks>
    /// <param name="builder">The builder <c>AddHotpath</c> returned.</param>
    /// <param name="configure">Sets the options and named policies.</param>
    /// <returns>The same builder.</returns>
    public static HotpathBuilder AddResponseCache(this HotpathBuilder builder, Action<HotpathResponseCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<HotpathResponseCacheOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddOutputCache();
        // The store reaches the request's state through it: a miss claims its key for the response to come.
        services.AddHttpContextAccessor();
        services.Replace(ServiceDescriptor.Singleton<IOutputCacheStore>(static sp => new HotpathOutputCacheStore(
            sp.GetRequiredService<HotpathCache>(),
            sp.GetRequiredService<IOptions<HotpathOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<IHttpContextAccessor>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<OutputCacheOptions>, ConfigureOutputCacheOptions>());
        services.TryAddSingleton(static sp => new ResponseCacheRuntime(
            sp.GetRequiredService<IOptions<HotpathResponseCacheOptions>>(),
            sp.GetRequiredService<HotpathCache>(),
            sp.GetRequiredService<ILoggerFactory>(),
            new ResponseCacheMetrics(sp.GetRequiredService<HotpathMetrics>()),
            sp,
            sp.GetService<TimeProvider>()));
        return builder;
    }
}
