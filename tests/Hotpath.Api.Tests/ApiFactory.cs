using Hotpath.Testing;

namespace Hotpath.Api.Tests;

/// <summary>
/// The sample app on a TestServer: its cache on the named test server (or any <c>REDIS_URL</c>) with a
/// key prefix of its own, its database the given <see cref="TestDatabase"/>.
/// </summary>
internal sealed class ApiFactory(string redisUrl, TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, string environment = "Development", bool appRateLimits = false)
    : SampleHostFactory<Program>(redisUrl, database, settings, environment, appRateLimits)
{
    public static ApiFactory ForServer(string server, TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, string environment = "Development", bool appRateLimits = false) =>
        new(TestServers.Url(server), database, settings, environment, appRateLimits);
}
