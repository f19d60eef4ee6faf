using System.Data.Common;
using Hotpath.Api.Stats;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hotpath.Api.Data;

/// <summary>Counts every SQL command EF Core sends (queries, inserts, updates, deletes, schema) into <see cref="AppStats"/>.</summary>
internal sealed class CommandCounter(AppStats stats) : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        stats.DbCommandSent();
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        stats.DbCommandSent();
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        stats.DbCommandSent();
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        stats.DbCommandSent();
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        stats.DbCommandSent();
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        stats.DbCommandSent();
        return ValueTask.FromResult(result);
    }
}
