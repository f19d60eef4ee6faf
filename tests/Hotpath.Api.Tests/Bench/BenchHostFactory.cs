using Hotpath.Testing;

namespace Hotpath.Api.Tests.Bench;

/// <summary>The benchmarks' host (bench/Hotpath.Bench.Host) on a TestServer, running the engine named.</summary>
internal sealed class BenchHostFactory(string redisUrl, TestDatabase database, IReadOnlyDictionary<string, string> settings)
    : SampleHostFactory<Hotpath.Bench.Host.Program>(redisUrl, database, settings, environment: "Development", appRateLimits: false)
{
    public static BenchHostFactory ForServer(string server, TestDatabase database, string engine) =>
        new(TestServers.Url(server), database, new Dictionary<string, string> { [Hotpath.Bench.Host.BenchSettings.Setting] = engine });
}
