using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json;
using StackExchange.Redis;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// Writes <c>results/host.json</c>: the runtime, GC mode, Redis server version and the machine's load
/// before and after the run, for the docs generator to print beside the tables.
/// </summary>
public static class HostInfo
{
    private static DateTimeOffset s_started;
    private static string s_loadBefore = string.Empty;

    public static void Begin()
    {
        s_started = DateTimeOffset.UtcNow;
        s_loadBefore = LoadAverage();
    }

    public static void End(string resultsPath)
    {
        var info = new Dictionary<string, object?>
        {
            ["started_utc"] = s_started.ToString("O"),
            ["finished_utc"] = DateTimeOffset.UtcNow.ToString("O"),
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["processor_count"] = Environment.ProcessorCount,
            ["gc"] = (GCSettings.IsServerGC ? "server" : "workstation") + (AppContext.TryGetSwitch("System.GC.Concurrent", out var concurrent) && !concurrent ? ", non-concurrent" : ", concurrent"),
            ["redis"] = RedisVersion(),
            ["load_before"] = s_loadBefore,
            ["load_after"] = LoadAverage(),
            ["quick"] = BenchJobs.Quick,
        };
        Directory.CreateDirectory(resultsPath);
        File.WriteAllText(Path.Combine(resultsPath, "host.json"), JsonSerializer.Serialize(info, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static string? RedisVersion()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(BenchRedis.Variable)))
        {
            return null;
        }

        try
        {
            using var multiplexer = ConnectionMultiplexer.Connect(BenchRedis.Options("bench-info"));
            var server = multiplexer.GetServers()[0];
            return server.Version.ToString();
        }
        catch (RedisException)
        {
            return null;
        }
    }
}
