using Hotpath.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotpath.Api.Observability;

/// <summary>
/// Ready when the database accepts a connection (<c>CanConnectAsync</c>: PostgreSQL opens one, SQLite
/// checks that its file is there). It sends no SQL command, so probes never move <c>dbCommands</c>.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<AppDbContext> contexts) : IHealthCheck
{
    public const string Name = "database";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy("The database accepts connections.")
            : new HealthCheckResult(context.Registration.FailureStatus, "The database did not accept a connection.");
    }
}
