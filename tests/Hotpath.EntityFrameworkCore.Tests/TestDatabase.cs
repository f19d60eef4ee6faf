using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>
/// A database of a test's own: a SQLite file in a temporary folder, or a fresh PostgreSQL database on the
/// server named by <c>HOTPATH_TEST_POSTGRES</c> (dropped on dispose). PostgreSQL cases run only when the
/// variable is set.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string PostgresVariable = "HOTPATH_TEST_POSTGRES";

    private readonly string? _folder;
    private readonly NpgsqlConnectionStringBuilder? _admin;
    private readonly string? _databaseName;

    private TestDatabase(string kind, string connectionString, string? folder, NpgsqlConnectionStringBuilder? admin, string? databaseName)
    {
        Kind = kind;
        ConnectionString = connectionString;
        _folder = folder;
        _admin = admin;
        _databaseName = databaseName;
    }

    public string Kind { get; }

    public string ConnectionString { get; }

    /// <summary>The databases every test runs against, as xunit member data.</summary>
    public static TheoryData<string> Kinds
    {
        get
        {
            var data = new TheoryData<string> { Sqlite };
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresVariable)))
            {
                data.Add(Postgres);
            }

            return data;
        }
    }

    public static async Task<TestDatabase> CreateAsync(string kind)
    {
        if (kind == Sqlite)
        {
            var folder = Directory.CreateTempSubdirectory("hotpath-efcore-test-").FullName;
            var builder = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "shop.db"), DefaultTimeout = 30 };
            return new TestDatabase(kind, builder.ConnectionString, folder, null, null);
        }

        var admin = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable(PostgresVariable)
            ?? throw new InvalidOperationException($"{PostgresVariable} is not set."));
        var name = $"hotpath_efcore_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var app = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name };
        return new TestDatabase(kind, app.ConnectionString, null, admin, name);
    }

    public DbContextOptionsBuilder<TContext> Configure<TContext>(DbContextOptionsBuilder<TContext> builder)
        where TContext : DbContext =>
        Kind == Sqlite ? builder.UseSqlite(ConnectionString) : builder.UseNpgsql(ConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_folder is not null)
        {
            SqliteConnection.ClearAllPools();
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
