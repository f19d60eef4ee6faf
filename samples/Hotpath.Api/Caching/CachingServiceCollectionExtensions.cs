using Hotpath.AspNetCore;
using Microsoft.AspNetCore.OutputCaching.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace Hotpath.Api.Caching;

/// <summary>Registers the response cache <c>Caching:Engine</c> picks (see <see cref="CachingSettings"/>).</summary>
internal static class CachingServiceCollectionExtensions
{
    /// <summary>
    /// Hotpath's response cache (<c>AddResponseCache()</c>, the default); or, to compare, ASP.NET Core's output
    /// cache on its Redis store, on its own connection to the server <c>REDIS_URL</c> names, its keys under
    /// Hotpath's key prefix followed by <c>output-cache:</c>; or no response cache. Registers
    /// <paramref name="settings"/> for the endpoints and the invalidation to read.
    /// </summary>
    public static HotpathBuilder AddResponseCacheEngine(this HotpathBuilder hotpath, CachingSettings settings)
    {
        var services = hotpath.Services;
        services.AddSingleton(settings);
        switch (settings.Engine)
        {
            case CacheEngine.Hotpath:
                hotpath.AddResponseCache();
                break;
            case CacheEngine.OutputCache:
                services.AddStackExchangeRedisOutputCache(static _ => { });
                services.AddOptions<RedisOutputCacheOptions>().Configure<IOptions<HotpathOptions>>(static (options, hotpathOptions) =>
                {
                    options.ConfigurationOptions = OutputCacheRedisOptions.FromRedisUrl(hotpathOptions.Value.RedisUrl!);
                    options.InstanceName = hotpathOptions.Value.KeyPrefix + "output-cache:";
                });
                services.AddOutputCache();
                break;
        }

        return hotpath;
    }
}
