using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Hotpath.Api.Data;

/// <summary>
/// Which database the app uses, chosen by <c>DATABASE_URL</c>: unset or empty is a SQLite file
/// (<c>Database:SqlitePath</c>, by default <c>data/hotpath.db</c> under the content root);
/// <c>postgres://user:password@host:port/database</c> (or <c>postgresql://</c>) or an Npgsql connection
/// string is PostgreSQL; anything else fails at start-up.
/// </summary>
/// <param name="Provider">The engine.</param>
/// <param name="ConnectionString">The provider's connection string; may hold a password, never logged.</param>
/// <param name="Description">Where the database is, without credentials: safe to log.</param>
internal sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString, string Description)
{
    public const string Setting = "DATABASE_URL";

    public const string SqlitePathSetting = "Database:SqlitePath";

    private const string AcceptedForms =
        "Leave it unset for a SQLite file under the app's data folder, or set it to " +
        "postgres://user:password@host:port/database (postgresql:// works too) or to an Npgsql connection string " +
        "such as Host=localhost;Port=5432;Database=hotpath;Username=hotpath;Password=....";

    /// <summary>Reads <c>DATABASE_URL</c> and <c>Database:SqlitePath</c>.</summary>
    public static DatabaseSettings FromConfiguration(IConfiguration configuration, string contentRootPath)
    {
        var sqlitePath = configuration[SqlitePathSetting];
        if (string.IsNullOrWhiteSpace(sqlitePath))
        {
            sqlitePath = Path.Combine(contentRootPath, "data", "hotpath.db");
        }

        return Parse(configuration[Setting], Path.GetFullPath(sqlitePath, contentRootPath));
    }

    /// <summary>Parses a <c>DATABASE_URL</c> value.</summary>
    /// <exception cref="DatabaseConfigurationException">The value is not an accepted form.</exception>
    public static DatabaseSettings Parse(string? value, string sqlitePath)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            var sqlite = new SqliteConnectionStringBuilder { DataSource = sqlitePath, Pooling = true };
            return new DatabaseSettings(DatabaseProvider.Sqlite, sqlite.ConnectionString, $"SQLite file {sqlitePath}");
        }

        value = value.Trim();
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = value[..schemeEnd];
            if (!scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            {
                // The scheme is safe to repeat only when it looks like one; never echo the rest.
                var shown = scheme.Length <= 20 && scheme.All(char.IsAsciiLetterOrDigit) ? $"'{scheme}://'" : "this scheme";
                throw Invalid($"{shown} is not supported");
            }

            return FromUrl(value);
        }

        if (value.Contains('='))
        {
            return FromConnectionString(value);
        }

        throw Invalid("it is neither a postgres:// URL nor an Npgsql connection string");
    }

    private static DatabaseSettings FromUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid("the postgres:// URL could not be read (is a character in the password not percent-encoded?)");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0 || database.Contains('/'))
        {
            throw Invalid("the postgres:// URL must name one database after the host, as in postgres://user:password@host:5432/hotpath");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        // Query parameters are Npgsql settings (sslmode=require, ...), as managed services hand them out.
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var setting = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[name] = setting;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
            {
                var shown = name.Length <= 40 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '_') ? $"'{name}'" : "one";
                throw Invalid($"the URL's query parameter {shown} is not a valid Npgsql setting");
            }
        }

        return Postgres(builder);
    }

    private static DatabaseSettings FromConnectionString(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            // The provider's message may quote part of the value: it is not passed on.
            throw Invalid("it looks like a connection string but Npgsql cannot read it");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw Invalid("the connection string has no Host");
        }

        return Postgres(builder);
    }

    private static DatabaseSettings Postgres(NpgsqlConnectionStringBuilder builder)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}");
        return new DatabaseSettings(DatabaseProvider.PostgreSql, builder.ConnectionString, where);
    }

    private static DatabaseConfigurationException Invalid(string reason) =>
        new($"{Setting} is not a supported database address: {reason}. {AcceptedForms}");

    /// <summary>Keeps the connection string (and so any password) out of logs and exception messages.</summary>
    public override string ToString() => Description;
}
