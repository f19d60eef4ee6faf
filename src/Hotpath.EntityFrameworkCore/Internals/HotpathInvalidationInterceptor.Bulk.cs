using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>
/// ExecuteUpdate and ExecuteDelete bypass the change tracker: their commands are read to find the
/// declared tables they write, and those tables' entity types' tags are invalidated after the command
/// (after the commit inside a transaction).
/// </summary>
internal sealed partial class HotpathInvalidationInterceptor
{
    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        if (BulkWrite(command, eventData, result) is { } set)
        {
            InvalidateAsync(set, eventData.CommandSource.ToString()).AsTask().GetAwaiter().GetResult();
        }

        return result;
    }

    public async ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (BulkWrite(command, eventData, result) is { } set)
        {
            await InvalidateAsync(set, eventData.CommandSource.ToString()).ConfigureAwait(false);
        }

        return result;
    }

    private InvalidationSet? BulkWrite(DbCommand command, CommandExecutedEventData eventData, int rowsAffected)
    {
#pragma warning disable CS0618 // BulkUpdate is what older providers report for ExecuteUpdate.
        if (eventData.CommandSource is not (CommandSource.ExecuteUpdate or CommandSource.ExecuteDelete or CommandSource.BulkUpdate)
#pragma warning restore CS0618
            || eventData.Context is not { } context
            || rowsAffected == 0
            || _registry.IsEmpty)
        {
            return null;
        }

        var text = command.CommandText;
        var tables = _registry.TablesFor(context);
        var written = tables.Where(t => t.IsTargetOf(text)).ToList();
        if (written.Count == 0)
        {
            // A provider that writes an alias as the statement's target names the table elsewhere; every
            // declared table the command names is invalidated, at worst a few needless misses.
            written = [.. tables.Where(t => t.IsMentionedBy(text))];
        }

        var set = new InvalidationSet();
        foreach (var table in written)
        {
            foreach (var (entityType, declarations) in table.EntityTypes)
            {
                foreach (var declaration in declarations)
                {
                    set.Tags.UnionWith(declaration.Tags);
                }

                if (declarations.All(static d => d.Tags.Count == 0) && declarations.Any(static d => d.Keys.Count > 0 || d.EntityTags.Count > 0))
                {
                    Log.BulkWithoutTags(_logger, eventData.CommandSource.ToString(), table.Delimited, entityType);
                }
            }
        }

        if (set.IsEmpty)
        {
            return null;
        }

        var state = _contexts.GetOrCreateValue(context);
        return DueNow(context, state, set);
    }
}
