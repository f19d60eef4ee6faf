using Hotpath.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Hotpath.Api.Tests;

/// <summary>
/// A host built on the sample's services (the sample itself, or the benchmarks' host) on a TestServer, set
/// up as <see cref="ApiFactory"/> says.
/// </summary>
/// <typeparam name="TEntryPoint">A type in the host's entry assembly.</typeparam>
internal abstract class SampleHostFactory<TEntryPoint> : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private readonly string _redisUrl;
    private readonly TestDatabase _database;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _environment;
    private readonly bool _appRateLimits;

    /// <param name="redisUrl">The cache server.</param>
    /// <param name="database">The app's database.</param>
    /// <param name="settings">More configuration, applied last.</param>
    /// <param name="environment">The hosting environment.</param>
    /// <param name="appRateLimits">
    /// Keep the app's own rate limits (appsettings.json). Otherwise they are raised far out of reach,
    /// since most tests log in and read far more often than a person would; <paramref name="settings"/>
    /// can still set any of them.
    /// </param>
    protected SampleHostFactory(string redisUrl, TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, string environment = "Development", bool appRateLimits = false)
    {
        _redisUrl = redisUrl;
        _database = database;
        _settings = settings ?? new Dictionary<string, string>();
        _environment = environment;
        _appRateLimits = appRateLimits;
        KeyPrefix = TestServers.UniquePrefix("api");
    }

    /// <summary>Everything the app logged, kept for assertions instead of written to the console.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Every key the app writes starts with this.</summary>
    public string KeyPrefix { get; }

    public TestDatabase Database => _database;

    /// <summary>The app's own cache service, to look at or clear what it cached.</summary>
    public ICache Cache => (ICache)Services.GetService(typeof(ICache))!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(Logs);
        });
        builder.UseSetting("REDIS_URL", _redisUrl);
        builder.UseSetting("Hotpath:KeyPrefix", KeyPrefix);
        builder.UseSetting("DATABASE_URL", _database.DatabaseUrl);
        builder.UseSetting("Database:SqlitePath", _database.SqlitePath ?? string.Empty);

        // The test machine may be busy: a slow reply must not turn into a miss (or a lost session)
        // that a test would read as a bug. An unreachable server still fails fast.
        builder.UseSetting("Hotpath:OperationTimeout", "00:00:05");
        builder.UseSetting("Hotpath:ConnectTimeout", "00:00:10");
        if (!_appRateLimits)
        {
            builder.UseSetting("RateLimits:Login:PerEmailAndIp", "100000");
            builder.UseSetting("RateLimits:Login:PerIp", "100000");
            builder.UseSetting("RateLimits:Api:TokenLimit", "1000000");
            builder.UseSetting("RateLimits:Api:TokensPerPeriod", "1000000");
        }

        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
