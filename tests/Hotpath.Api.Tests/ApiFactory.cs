using Hotpath.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Hotpath.Api.Tests;

/// <summary>
/// The sample app on a TestServer: its cache on the named test server (or any <c>REDIS_URL</c>) with a
/// key prefix of its own, its database the given <see cref="TestDatabase"/>.
/// </summary>
internal sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string _redisUrl;
    private readonly TestDatabase _database;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string _environment;

    public ApiFactory(string redisUrl, TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, string environment = "Development")
    {
        _redisUrl = redisUrl;
        _database = database;
        _settings = settings ?? new Dictionary<string, string>();
        _environment = environment;
        KeyPrefix = TestServers.UniquePrefix("api");
    }

    /// <summary>Everything the app logged, kept for assertions instead of written to the console.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Every key the app writes starts with this.</summary>
    public string KeyPrefix { get; }

    public TestDatabase Database => _database;

    /// <summary>The app's own cache service, to look at or clear what it cached.</summary>
    public ICache Cache => (ICache)Services.GetService(typeof(ICache))!;

    public static ApiFactory ForServer(string server, TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, string environment = "Development") =>
        new(TestServers.Url(server), database, settings, environment);

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
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
