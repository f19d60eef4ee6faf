using System.Data.Common;
using Hotpath.Api.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotpath.Api.Observability;

/// <summary>
/// Ready when the database answers <c>SELECT 1</c> on a connection from the app's own pool. The
/// command goes straight through ADO.NET, past EF Core's interceptors, so probes never move
/// <c>dbCommands</c> (which counts the app's own traffic). A missing SQLite file is not ready: opening
/// it would create an empty one.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<AppDbContext> contexts, DatabaseSettings settings) : IHealthCheck
{
    public const string Name = "database";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (settings.Provider == DatabaseProvider.Sqlite && !File.Exists(new SqliteConnectionStringBuilder(settings.ConnectionString).DataSource))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "The SQLite file is missing.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("The database answered SELECT 1.");
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            // The type is enough here; the exception would log a stack trace on every probe.
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database did not answer ({ex.GetType().Name}).");
        }
        finally
        {
            await connection.CloseAsync();
        }
    }
}
