namespace Hotpath.Bench.Host;

/// <summary>
/// <c>Bench:Engine</c> (environment variable <c>Bench__Engine</c>): which engine this host runs. Required:
/// <c>OutputCache</c> or <c>None</c>, compared case-insensitively; anything else fails at start-up. Hotpath
/// itself is measured on the sample (samples/Hotpath.Api), as it ships.
/// </summary>
/// <param name="Engine">The engine.</param>
internal sealed record BenchSettings(BenchEngine Engine)
{
    public const string Setting = "Bench:Engine";

    private const string AcceptedValues =
        "Set it to OutputCache (ASP.NET Core's output cache on its Redis store; needs REDIS_URL to name one server, as a redis:// " +
        "or rediss:// URL or a configuration string) or None (nothing cached: every read queries the database). Hotpath itself runs in the " +
        "sample, samples/Hotpath.Api.";

    /// <summary>Reads <c>Bench:Engine</c>, and for <c>OutputCache</c> checks the server Hotpath will use.</summary>
    /// <exception cref="BenchConfigurationException">The value is not accepted.</exception>
    public static BenchSettings FromConfiguration(IConfiguration configuration)
    {
        // The same precedence as AddHotpath: REDIS_URL, set even to "", wins over Hotpath:RedisUrl.
        var redisUrl = configuration[HotpathOptions.RedisUrlSetting] ?? configuration[$"{HotpathOptions.SectionName}:RedisUrl"];
        return Parse(configuration[Setting], redisUrl);
    }

    /// <summary>Parses a <c>Bench:Engine</c> value; <paramref name="redisUrl"/> is the cache server's <c>REDIS_URL</c>.</summary>
    /// <exception cref="BenchConfigurationException">The value is not accepted.</exception>
    public static BenchSettings Parse(string? value, string? redisUrl)
    {
        var engine = value?.Trim() switch
        {
            var v when string.Equals(v, nameof(BenchEngine.OutputCache), StringComparison.OrdinalIgnoreCase) => BenchEngine.OutputCache,
            var v when string.Equals(v, nameof(BenchEngine.None), StringComparison.OrdinalIgnoreCase) => BenchEngine.None,
            null or "" => throw new BenchConfigurationException($"{Setting} is not set. {AcceptedValues}"),
            _ => throw new BenchConfigurationException($"{Setting} is not an engine of this host. {AcceptedValues}"),
        };

        // ASP.NET Core's Redis store opens a connection of its own, so it needs an address: it cannot reach
        // the embedded server, and a disabled cache or a cluster URL is not what the comparison is about.
        // An unreadable REDIS_URL throws Hotpath's own error, which names REDIS_URL and its forms.
        if (engine == BenchEngine.OutputCache && RedisConnectionSettings.Parse(redisUrl).Mode != RedisServerMode.Server)
        {
            throw new BenchConfigurationException(
                $"{Setting} is OutputCache, but REDIS_URL does not name one Redis server (it is unset, none or a cluster). {AcceptedValues}");
        }

        return new BenchSettings(engine);
    }
}
