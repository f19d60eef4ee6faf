using Npgsql;

namespace Hotpath.Api.Tests;

/// <summary>
/// A database of its own for one app instance: a SQLite file in a temporary folder, or a freshly
/// created PostgreSQL database on the server named by <c>HOTPATH_TEST_POSTGRES</c> (dropped on dispose),
/// so test classes never see each other's rows.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string PostgresVariable = "HOTPATH_TEST_POSTGRES";

    private readonly string? _folder;
    private readonly NpgsqlConnectionStringBuilder? _admin;
    private readonly string? _databaseName;

    private TestDatabase(string kind, string databaseUrl, string? sqlitePath, string? folder, NpgsqlConnectionStringBuilder? admin, string? databaseName)
    {
        Kind = kind;
        DatabaseUrl = databaseUrl;
        SqlitePath = sqlitePath;
        _folder = folder;
        _admin = admin;
        _databaseName = databaseName;
    }

    public string Kind { get; }

    /// <summary>The value to give <c>DATABASE_URL</c>: empty for SQLite.</summary>
    public string DatabaseUrl { get; }

    /// <summary>The value to give <c>Database:SqlitePath</c> (SQLite only).</summary>
    public string? SqlitePath { get; }

    public static bool PostgresAvailable => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresVariable));

    /// <summary>The databases every end-to-end test runs against.</summary>
    public static IEnumerable<string> Kinds => PostgresAvailable ? [Sqlite, Postgres] : [Sqlite];

    public static async Task<TestDatabase> CreateAsync(string kind, bool postgresUrlForm = false)
    {
        if (kind == Sqlite)
        {
            var folder = Directory.CreateTempSubdirectory("hotpath-api-test-").FullName;
            return new TestDatabase(kind, string.Empty, Path.Combine(folder, "data", "hotpath.db"), folder, null, null);
        }

        var admin = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresVariable)
            ?? throw new InvalidOperationException($"{PostgresVariable} is not set."));
        var name = $"hotpath_api_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var app = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name };
        var url = postgresUrlForm ? ToUrl(app) : app.ConnectionString;
        return new TestDatabase(kind, url, null, null, admin, name);
    }

    /// <summary>The same database as a <c>postgres://</c> URL.</summary>
    public static string ToUrl(NpgsqlConnectionStringBuilder builder)
    {
        var credentials = Uri.EscapeDataString(builder.Username ?? "postgres")
            + (string.IsNullOrEmpty(builder.Password) ? string.Empty : ":" + Uri.EscapeDataString(builder.Password));
        return $"postgres://{credentials}@{builder.Host}:{builder.Port}/{Uri.EscapeDataString(builder.Database!)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A file still open by a pooled connection: a temporary folder left behind harms nothing.
            }
        }

        if (_admin is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_admin.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
