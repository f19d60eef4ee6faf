using Hotpath.AspNetCore;
using Microsoft.AspNetCore.OutputCaching.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace Hotpath.Bench.Host;

/// <summary>Registers ASP.NET Core's output cache on its Redis store, as a user of that store would.</summary>
internal static class OutputCacheServiceCollectionExtensions
{
    /// <summary>
    /// The framework's output cache with <c>AddStackExchangeRedisOutputCache</c>, on a connection of its own to
    /// the server <c>REDIS_URL</c> names, its keys under Hotpath's key prefix followed by <c>output-cache:</c>.
    /// </summary>
    public static IServiceCollection AddRedisOutputCache(this IServiceCollection services)
    {
        services.AddStackExchangeRedisOutputCache(static _ => { });
        services.AddOptions<RedisOutputCacheOptions>().Configure<IOptions<HotpathOptions>>(static (options, hotpath) =>
        {
            options.ConfigurationOptions = OutputCacheRedisOptions.FromRedisUrl(hotpath.Value.RedisUrl!);
            options.InstanceName = hotpath.Value.KeyPrefix + "output-cache:";
        });
        services.AddOutputCache();
        return services;
    }
}
