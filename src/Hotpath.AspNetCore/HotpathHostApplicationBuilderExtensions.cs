using Hotpath;
using Hotpath.AspNetCore;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers Hotpath on a host builder, with the server named by a connection string (the .NET Aspire convention).</summary>
public static class HotpathHostApplicationBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="ICache"/> and the shared connection like
    /// <see cref="HotpathServiceCollectionExtensions.AddHotpath(IServiceCollection, Configuration.IConfiguration?, Action{HotpathOptions}?)"/>
    /// over <paramref name="builder"/>'s configuration, with the server read from
    /// <c>ConnectionStrings:<paramref name="connectionName"/></c>, as .NET Aspire sets it for a referenced
    /// resource (environment variable <c>ConnectionStrings__<paramref name="connectionName"/></c>). The value is a
    /// StackExchange.Redis configuration string (<c>host:port,password=…,ssl=true</c>, several hosts for a
    /// cluster) or a <c>redis://</c>, <c>rediss://</c> or <c>redis+cluster://</c> URL; <c>none</c> disables the
    /// cache. It wins over <c>REDIS_URL</c> and <c>Hotpath:RedisUrl</c>; a <see cref="HotpathOptions.RedisUrl"/>
    /// set by <paramref name="configure"/> wins over it. Nothing connects here: when the connection string is
    /// missing or empty (and <paramref name="configure"/> sets no server), or is not valid, start-up fails with a
    /// <see cref="HotpathConfigurationException"/> naming <c>ConnectionStrings:<paramref name="connectionName"/></c>,
    /// with any password masked. There is no fallback to the embedded server.
    /// </summary>
    /// <param name="builder">The application's host builder.</param>
    /// <param name="connectionName">The connection string's name, e.g. <c>cache</c>.</param>
    /// <param name="configure">Adjusts the options after binding.</param>
    /// <returns>A builder for Hotpath's optional features.</returns>
    public static HotpathBuilder AddHotpath(this IHostApplicationBuilder builder, string connectionName, Action<HotpathOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        return HotpathServiceCollectionExtensions.AddHotpath(builder.Services, builder.Configuration, connectionName, configure);
    }
}
