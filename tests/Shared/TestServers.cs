using System.Collections.Concurrent;
using Hotpath.Embedded;
using Hotpath.Internals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using StackExchange.Redis;

namespace Hotpath.Testing;

/// <summary>
/// The real RESP servers the suites run against: an embedded Garnet server always, and the server
/// named by <c>HOTPATH_TEST_REDIS</c> (a <c>redis://</c> URL) when that variable is set. One
/// multiplexer per server per test process.
/// </summary>
internal static class TestServers
{
    public const string Garnet = "garnet";
    public const string Redis = "redis";
    public const string RedisVariable = "HOTPATH_TEST_REDIS";
    public const string Cluster = "cluster";

    /// <summary>A <c>redis+cluster://</c> URL of a Redis Cluster (primaries with replicas) to run the contract tests on too.</summary>
    public const string ClusterVariable = "HOTPATH_TEST_CLUSTER";

    /// <summary>
    /// The operation timeout tests use: generous, because a loaded test machine can stall a round trip
    /// past the production default, and a test about behaviour must not fail on a timeout.
    /// </summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(5);

    private static readonly Lazy<IEmbeddedServer> s_garnet = new(() => new GarnetServerFactory().Start(new EmbeddedServerOptions(), NullLoggerFactory.Instance));
    private static readonly ConcurrentDictionary<string, Lazy<ConnectionMultiplexer>> s_multiplexers = new();

    /// <summary>The server names to run a contract test against, as xunit member data.</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string> { Garnet };
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(RedisVariable)))
            {
                data.Add(Redis);
            }

            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ClusterVariable)))
            {
                data.Add(Cluster);
            }

            return data;
        }
    }

    /// <summary>The <c>redis://</c> URL of a server.</summary>
    public static string Url(string server) => server switch
    {
        Garnet => $"redis://{s_garnet.Value.Host}:{s_garnet.Value.Port}",
        Redis => Environment.GetEnvironmentVariable(RedisVariable) ?? throw new InvalidOperationException($"{RedisVariable} is not set."),
        Cluster => Environment.GetEnvironmentVariable(ClusterVariable) ?? throw new InvalidOperationException($"{ClusterVariable} is not set."),
        _ => throw new ArgumentOutOfRangeException(nameof(server), server, "Unknown test server."),
    };

    public static ConnectionMultiplexer Multiplexer(string server) =>
        s_multiplexers.GetOrAdd(server, static s => new Lazy<ConnectionMultiplexer>(() =>
        {
            var options = RedisConnectionSettings.Parse(Url(s)).ToConfigurationOptions(new HotpathOptions { OperationTimeout = OperationTimeout });
            return ConnectionMultiplexer.Connect(options);
        })).Value;

    /// <summary>
    /// Every key matching <paramref name="pattern"/>, scanned (SCAN) on every primary once: on a
    /// cluster each key lives on one primary and is copied to its replicas, which are skipped.
    /// </summary>
    public static async Task<List<string>> KeysAsync(string server, string pattern)
    {
        var multiplexer = Multiplexer(server);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endPoint in multiplexer.GetServers())
        {
            if (endPoint.IsReplica)
            {
                continue;
            }

            await foreach (var key in endPoint.KeysAsync(pattern: pattern))
            {
                keys.Add(key.ToString());
            }
        }

        return [.. keys];
    }

    /// <summary>A key prefix no other test uses, so tests never see each other's keys.</summary>
    public static string UniquePrefix(string testName) => $"test:{testName}:{Guid.NewGuid():N}:";

    /// <summary>A cache over the shared multiplexer of <paramref name="server"/> with a prefix of its own.</summary>
    public static HotpathCache Cache(string server, string testName, Action<HotpathOptions>? configure = null, ILoggerFactory? loggerFactory = null)
    {
        var options = new HotpathOptions { RedisUrl = Url(server), KeyPrefix = UniquePrefix(testName), OperationTimeout = OperationTimeout };
        configure?.Invoke(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var connection = HotpathConnection.Wrap(Multiplexer(server), options, loggerFactory.CreateLogger("test"));
        return new HotpathCache(connection, options, loggerFactory, new HotpathMetrics());
    }

    /// <summary>
    /// Waits (bounded) until the cache's backplane is subscribed and its memory tier trusted: from then on
    /// no start-up event detaches a factory run, so callers that miss together share one.
    /// </summary>
    public static async Task<HotpathCache> ReadyAsync(HotpathCache cache)
    {
        if (cache.Memory is { } memory)
        {
            Assert.True(await Eventually.TrueAsync(() => memory.IsTrusted), "the backplane subscribed");
        }

        return cache;
    }

    /// <summary>
    /// A separate application instance: its own connection (multiplexer), memory tier and backplane,
    /// sharing <paramref name="prefix"/> with the other instances of a test. Dispose it to close the connection.
    /// </summary>
    public static Instance NewInstance(string server, string prefix, Action<HotpathOptions>? configure = null)
    {
        var options = new HotpathOptions { RedisUrl = Url(server), KeyPrefix = prefix, OperationTimeout = OperationTimeout };
        configure?.Invoke(options);
        var connection = HotpathConnection.Create(options, NullLoggerFactory.Instance);
        return new Instance(connection, new HotpathCache(connection, options, NullLoggerFactory.Instance, new HotpathMetrics()));
    }

    internal sealed class Instance(HotpathConnection connection, HotpathCache cache) : IDisposable
    {
        public HotpathCache Cache { get; } = cache;

        public HotpathConnection Connection { get; } = connection;

        public void Dispose()
        {
            Cache.Dispose();
            Connection.Dispose();
        }
    }
}
