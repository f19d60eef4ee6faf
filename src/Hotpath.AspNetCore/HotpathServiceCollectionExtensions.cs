using Hotpath;
using Hotpath.AspNetCore;
using Hotpath.AspNetCore.HealthChecks;
using Hotpath.AspNetCore.Internals;
using Hotpath.Internals;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Hotpath's cache service.</summary>
public static class HotpathServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ICache"/> and the shared connection. Options bind from the <c>Hotpath</c>
    /// section of <paramref name="configuration"/>; its <c>REDIS_URL</c> value (usually the environment
    /// variable) overrides <see cref="HotpathOptions.RedisUrl"/>; <paramref name="configure"/> runs last.
    /// With no <c>REDIS_URL</c> an embedded Garnet server starts with the host (Hotpath.Embedded must
    /// be referenced). An invalid setting fails at start-up with a <see cref="HotpathConfigurationException"/>
    /// naming it. Also registers a health check named <c>hotpath</c> (tag <c>ready</c>) that PINGs the server.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration to bind from; <see langword="null"/> to use only <paramref name="configure"/>.</param>
    /// <param name="configure">Adjusts the options after binding.</param>
    /// <returns>A builder for Hotpath's optional features.</returns>
    public static HotpathBuilder AddHotpath(this IServiceCollection services, IConfiguration? configuration = null, Action<HotpathOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddHotpath(services, configuration, connectionName: null, configure);
    }

    /// <summary>
    /// <see cref="AddHotpath(IServiceCollection, IConfiguration?, Action{HotpathOptions}?)"/>, with the server
    /// read from <c>ConnectionStrings:<paramref name="connectionName"/></c> when a name is given. That value
    /// wins over <c>REDIS_URL</c> and <c>Hotpath:RedisUrl</c>; <paramref name="configure"/> still runs last.
    /// </summary>
    internal static HotpathBuilder AddHotpath(IServiceCollection services, IConfiguration? configuration, string? connectionName, Action<HotpathOptions>? configure)
    {
        var first = !services.Any(static d => d.ServiceType == typeof(HotpathConnection));
        var options = services.AddOptions<HotpathOptions>();
        if (configuration is not null)
        {
            var section = configuration.GetSection(HotpathOptions.SectionName);
            options.Configure(o => HotpathOptionsBinder.Bind(section, o));
            options.Configure(o =>
            {
                // Distinguish unset (embedded) from set-but-empty (disabled).
                var url = configuration.GetSection(HotpathOptions.RedisUrlSetting);
                if (url.Value is not null)
                {
                    o.RedisUrl = url.Value;
                }
            });
            if (connectionName is not null)
            {
                var setting = "ConnectionStrings:" + connectionName;
                options.Configure(o =>
                {
                    // An empty value is most often a placeholder in appsettings.json, so it counts as missing
                    // rather than as "disable the cache" ('none' says that).
                    var value = configuration.GetConnectionString(connectionName);
                    o.RedisUrl = string.IsNullOrWhiteSpace(value) ? null : value;
                    o.RedisUrlSource = (setting, o.RedisUrl);
                });
            }
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new HotpathMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(static sp => HotpathConnection.Create(
            sp.GetRequiredService<IOptions<HotpathOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<IEmbeddedServerFactory>()));
        services.TryAddSingleton<HotpathCache>(static sp => new HotpathCache(
            sp.GetRequiredService<HotpathConnection>(),
            sp.GetRequiredService<IOptions<HotpathOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<HotpathMetrics>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ICache>(static sp => sp.GetRequiredService<HotpathCache>());
        if (first)
        {
            services.AddHostedService<HotpathStartup>();
            services.AddHealthChecks().AddCheck<HotpathHealthCheck>(HotpathHealthCheck.Name, tags: [HotpathHealthCheck.ReadyTag]);
        }

        return new HotpathBuilder(services);
    }
}
