using StackExchange.Redis;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// The one Redis every suite measures against, named by <c>HOTPATH_BENCH_REDIS</c> (a <c>redis://</c> URL;
/// <c>bench/run.sh</c> starts a throwaway server and sets it). Every suite of this project, the rate
/// limiter's included, reads the server from this variable.
/// </summary>
public static class BenchRedis
{
    public const string Variable = "HOTPATH_BENCH_REDIS";

    /// <summary>Every key the suites write starts with this, so they never touch anything else on a shared server.</summary>
    public const string KeyPrefix = "hotpath-bench:";

    public static string Url =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException(
                $"{Variable} is not set. Point it at a Redis 7 (e.g. redis://127.0.0.1:6379), or run bench/run.sh, which starts its own server on a loopback port.");

    /// <summary>
    /// Connection options for the peers, as a user would write them from the URL: StackExchange.Redis
    /// defaults otherwise (5 s timeouts).
    /// </summary>
    public static ConfigurationOptions Options(string clientName)
    {
        var settings = RedisConnectionSettings.Parse(Url);
        if (settings.Mode != RedisServerMode.Server)
        {
            throw new InvalidOperationException($"{Variable} must name one Redis server (redis:// or rediss://).");
        }

        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            User = settings.User,
            Password = settings.Password,
            Ssl = settings.UseTls,
            DefaultDatabase = settings.Database,
            ClientName = clientName,
        };
        foreach (var endPoint in settings.EndPoints)
        {
            options.EndPoints.Add(endPoint);
        }

        return options;
    }
}
