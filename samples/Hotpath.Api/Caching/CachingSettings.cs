namespace Hotpath.Api.Caching;

/// <summary>
/// <c>Caching:Engine</c> (environment variable <c>Caching__Engine</c>): which cache answers the sample's
/// cached reads. Unset or empty is <see cref="CacheEngine.Hotpath"/>, the sample as the README shows it;
/// <c>OutputCache</c> and <c>None</c> exist to measure Hotpath against (bench/http/compare.sh) and need
/// nothing but this setting. Values compare case-insensitively; anything else fails at start-up.
/// </summary>
/// <param name="Engine">The engine.</param>
internal sealed record CachingSettings(CacheEngine Engine)
{
    public const string Setting = "Caching:Engine";

    private const string AcceptedValues =
        "Leave it unset for Hotpath (the default), or set it to Hotpath, OutputCache (ASP.NET Core's output cache " +
        "on its Redis store; needs REDIS_URL to name one server, as a redis:// or rediss:// URL or a configuration string) or None (nothing cached: " +
        "every read queries the database).";

    /// <summary>Reads <c>Caching:Engine</c>, and for <c>OutputCache</c> checks the server Hotpath will use.</summary>
    /// <exception cref="CachingConfigurationException">The value is not accepted.</exception>
    public static CachingSettings FromConfiguration(IConfiguration configuration)
    {
        // The same precedence as AddHotpath: REDIS_URL, set even to "", wins over Hotpath:RedisUrl.
        var redisUrl = configuration[HotpathOptions.RedisUrlSetting] ?? configuration[$"{HotpathOptions.SectionName}:RedisUrl"];
        return Parse(configuration[Setting], redisUrl);
    }

    /// <summary>Parses a <c>Caching:Engine</c> value; <paramref name="redisUrl"/> is the cache server's <c>REDIS_URL</c>.</summary>
    /// <exception cref="CachingConfigurationException">The value is not accepted.</exception>
    public static CachingSettings Parse(string? value, string? redisUrl)
    {
        var engine = value?.Trim() switch
        {
            null or "" => CacheEngine.Hotpath,
            var v when v.Equals(nameof(CacheEngine.Hotpath), StringComparison.OrdinalIgnoreCase) => CacheEngine.Hotpath,
            var v when v.Equals(nameof(CacheEngine.OutputCache), StringComparison.OrdinalIgnoreCase) => CacheEngine.OutputCache,
            var v when v.Equals(nameof(CacheEngine.None), StringComparison.OrdinalIgnoreCase) => CacheEngine.None,
            _ => throw new CachingConfigurationException($"{Setting} is not a cache engine. {AcceptedValues}"),
        };

        // ASP.NET Core's Redis store opens a connection of its own, so it needs an address: it cannot reach
        // the embedded server, and a disabled cache or a cluster URL is not what the comparison is about.
        // An unreadable REDIS_URL throws Hotpath's own error, which names REDIS_URL and its forms.
        if (engine == CacheEngine.OutputCache && RedisConnectionSettings.Parse(redisUrl).Mode != RedisServerMode.Server)
        {
            throw new CachingConfigurationException(
                $"{Setting} is OutputCache, but REDIS_URL does not name one Redis server (it is unset, none or a cluster). {AcceptedValues}");
        }

        return new CachingSettings(engine);
    }
}
