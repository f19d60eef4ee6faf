using Hotpath.Api.Data;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Hotpath.Api.Tests;

public sealed class DatabaseSettingsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void UnsetIsASqliteFile(string? value)
    {
        var settings = DatabaseSettings.Parse(value, "/srv/app/data/hotpath.db");

        Assert.Equal(DatabaseProvider.Sqlite, settings.Provider);
        Assert.Contains("/srv/app/data/hotpath.db", settings.ConnectionString);
    }

    [Fact]
    public void TheDefaultSqliteFileIsUnderTheContentRootDataFolder()
    {
        var configuration = new ConfigurationBuilder().Build();

        var settings = DatabaseSettings.FromConfiguration(configuration, "/srv/app");

        Assert.Contains(Path.Combine("/srv/app", "data", "hotpath.db"), settings.ConnectionString);
    }

    [Theory]
    [InlineData("postgres://app:p%40ss%3Aword@db.internal:6543/shop", "db.internal", 6543, "shop", "app", "p@ss:word")]
    [InlineData("postgresql://app:secret@localhost/hotpath", "localhost", 5432, "hotpath", "app", "secret")]
    [InlineData("POSTGRES://app@127.0.0.1:5433/hotpath", "127.0.0.1", 5433, "hotpath", "app", null)]
    public void APostgresUrlBecomesAnNpgsqlConnectionString(string url, string host, int port, string database, string user, string? password)
    {
        var settings = DatabaseSettings.Parse(url, "unused");

        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(DatabaseProvider.PostgreSql, settings.Provider);
        Assert.Equal(host, builder.Host);
        Assert.Equal(port, builder.Port);
        Assert.Equal(database, builder.Database);
        Assert.Equal(user, builder.Username);
        Assert.Equal(password, builder.Password);
        if (password is not null)
        {
            Assert.DoesNotContain(password, settings.Description + settings, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AUrlsQueryParametersAreNpgsqlSettings()
    {
        var settings = DatabaseSettings.Parse("postgres://app:secret@db:5432/shop?sslmode=require&Timeout=7", "unused");

        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal(7, builder.Timeout);
    }

    [Fact]
    public void AnNpgsqlConnectionStringIsUsedAsIs()
    {
        var settings = DatabaseSettings.Parse("Host=db;Port=5433;Database=shop;Username=app;Password=secret", "unused");

        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        Assert.Equal(DatabaseProvider.PostgreSql, settings.Provider);
        Assert.Equal(("db", 5433, "shop", "app", "secret"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal("PostgreSQL db:5433/shop", settings.Description);
        Assert.DoesNotContain("secret", settings.ToString());
    }

    [Theory]
    [InlineData("mysql://root:s3cret-pw@db/shop")]
    [InlineData("sqlite:///tmp/x.db")]
    [InlineData("just-a-word")]
    [InlineData("postgres://u:s3cret-pw@db:5432/shop?notasetting=1")]
    [InlineData("Server=db;Nonsense=s3cret-pw")]
    public void AnythingElseIsRefusedWithoutEchoingTheValue(string value)
    {
        var error = Assert.Throws<DatabaseConfigurationException>(() => DatabaseSettings.Parse(value, "unused"));

        Assert.StartsWith("DATABASE_URL ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.Message);
    }
}
