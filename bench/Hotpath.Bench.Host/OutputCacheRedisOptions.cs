using StackExchange.Redis;

namespace Hotpath.Bench.Host;

/// <summary>The connection of ASP.NET Core's Redis output-cache store, made from the same <c>REDIS_URL</c> Hotpath uses.</summary>
internal static class OutputCacheRedisOptions
{
    /// <summary>
    /// StackExchange.Redis options for a <c>redis://</c> or <c>rediss://</c> URL (or a configuration string) naming one server, with the
    /// library's own defaults otherwise, as a user of that store would configure it.
    /// </summary>
    /// <remarks><see cref="BenchSettings.Parse"/> has already checked the URL's form.</remarks>
    public static ConfigurationOptions FromRedisUrl(string redisUrl)
    {
        if (!redisUrl.Contains("://", StringComparison.Ordinal))
        {
            // A StackExchange.Redis configuration string, which REDIS_URL accepts too: that library reads it itself.
            var parsed = ConfigurationOptions.Parse(redisUrl);
            parsed.AbortOnConnectFail = false;
            parsed.ClientName = "hotpath-api-output-cache";
            return parsed;
        }

        var settings = RedisConnectionSettings.Parse(redisUrl);
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            User = settings.User,
            Password = settings.HasPassword ? PasswordOf(redisUrl) : null,
            Ssl = settings.UseTls,
            DefaultDatabase = settings.Database,
            ClientName = "hotpath-api-output-cache",
        };
        if (settings.UseTls)
        {
            options.SslHost = settings.EndPoints[0].Host;
        }

        foreach (var endPoint in settings.EndPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        return options;
    }

    // Hotpath keeps the password it parsed to itself, so it is read again here, the same way.
    private static string PasswordOf(string redisUrl)
    {
        var trimmed = redisUrl.Trim();
        var authority = trimmed[(trimmed.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = authority.IndexOf('/');
        if (slash >= 0)
        {
            authority = authority[..slash];
        }

        var userInfo = authority[..authority.LastIndexOf('@')];
        return Uri.UnescapeDataString(userInfo[(userInfo.IndexOf(':') + 1)..]);
    }
}
