using Hotpath;
using Hotpath.AspNetCore;
using Hotpath.AspNetCore.Internals;
using Hotpath.Caching;
using Hotpath.Internals;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Hotpath as the application's <see cref="IDistributedCache"/>.</summary>
public static class HotpathDistributedCacheBuilderExtensions
{
    /// <summary>
    /// Registers an <see cref="IDistributedCache"/> (which is also an <see cref="IBufferDistributedCache"/>) over the
    /// shared connection, so <c>AddSession()</c> and other framework features keep their state in the same
    /// server, with absolute and sliding expiration. A get renews a sliding entry in the same round trip.
    /// Registered only if the application has not registered an <see cref="IDistributedCache"/> of its
    /// own (that one stays, and start-up logs so). With the cache disabled (<c>REDIS_URL=none</c>) entries
    /// are kept in this process (logged once).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHotpath</c>.</param>
    /// <param name="configure">Adjusts the options.</param>
    /// <returns>The builder.</returns>
    public static HotpathBuilder AddDistributedCache(this HotpathBuilder builder, Action<HotpathDistributedCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<HotpathDistributedCacheOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        var existing = services.LastOrDefault(static d => d.ServiceType == typeof(IDistributedCache));
        if (existing is not null)
        {
            var type = existing.ImplementationType ?? existing.ImplementationInstance?.GetType() ?? existing.ServiceType;
            services.AddHostedService(sp => new DistributedCacheNotice(sp.GetRequiredService<ILoggerFactory>(), type.Name));
            return builder;
        }

        services.TryAddSingleton<IDistributedCache>(static sp => Create(sp));
        return builder;
    }

    private static IDistributedCache Create(IServiceProvider services)
    {
        var connection = services.GetRequiredService<HotpathConnection>();
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        if (connection.IsDisabled)
        {
            Hotpath.Caching.Internals.Log.DistributedCacheInProcess(loggerFactory.CreateLogger("Hotpath.DistributedCache"));
            return new MemoryDistributedCache(Options.Options.Create(new MemoryDistributedCacheOptions()), loggerFactory);
        }

        var hotpathOptions = services.GetRequiredService<IOptions<HotpathOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        return new Hotpath.Caching.Internals.HotpathDistributedCache(
            connection.Database!,
            hotpathOptions,
            services.GetRequiredService<IOptions<HotpathDistributedCacheOptions>>().Value,
            // The cache's own reporter: one circuit breaker and one fault log for the connection.
            services.GetRequiredService<HotpathCache>().Faults,
            time);
    }
}
