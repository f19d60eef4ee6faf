using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>
/// Answers "what does a write of this CLR type invalidate" (declarations of the type and its base
/// types) and "which declared tables does this bulk command write", cached per type and per model.
/// </summary>
internal sealed class InvalidationRegistry
{
    private readonly IReadOnlyDictionary<Type, EntityInvalidation> _declared;
    private readonly ConcurrentDictionary<Type, EntityInvalidation[]> _byClrType = new();
    private readonly ConditionalWeakTable<IModel, BulkTable[]> _tables = new();

    public InvalidationRegistry(HotpathEntityFrameworkCoreOptions options)
    {
        _declared = options.Entities;
    }

    public bool IsEmpty => _declared.Count == 0;

    /// <summary>The declarations that apply to <paramref name="clrType"/>: its own and its base types'.</summary>
    public EntityInvalidation[] For(Type clrType) =>
        _byClrType.GetOrAdd(clrType, static (type, declared) =>
        {
            var found = new List<EntityInvalidation>();
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (declared.TryGetValue(t, out var declaration))
                {
                    found.Add(declaration);
                }
            }

            return [.. found];
        }, _declared);

    /// <summary>The tables of <paramref name="context"/>'s model that map a declared entity type.</summary>
    public BulkTable[] TablesFor(DbContext context) =>
        _tables.GetValue(context.Model, model => BuildTables(model, context.GetService<ISqlGenerationHelper>()));

    private BulkTable[] BuildTables(IModel model, ISqlGenerationHelper sql)
    {
        var byTable = new Dictionary<string, BulkTable>(StringComparer.Ordinal);
        foreach (var entityType in model.GetEntityTypes())
        {
            var declarations = For(entityType.ClrType);
            if (declarations.Length == 0)
            {
                continue;
            }

            var tables = entityType.GetTableMappings().Select(static m => (m.Table.Name, m.Table.Schema)).ToList();
            if (tables.Count == 0 && entityType.GetTableName() is { } name)
            {
                tables.Add((name, entityType.GetSchema()));
            }

            foreach (var (name2, schema) in tables)
            {
                var delimited = sql.DelimitIdentifier(name2, schema);
                if (!byTable.TryGetValue(delimited, out var table))
                {
                    table = new BulkTable(delimited);
                    byTable.Add(delimited, table);
                }

                table.Add(entityType.DisplayName(), declarations);
            }
        }

        return [.. byTable.Values];
    }
}

/// <summary>One mapped table, in the delimited form the provider writes it in, and what its entity types declare.</summary>
internal sealed class BulkTable
{
    private readonly Regex _written;
    private readonly Regex _mentioned;

    public BulkTable(string delimited)
    {
        Delimited = delimited;
        var escaped = Regex.Escape(delimited);

        // The statement's target: "UPDATE <table>" or "DELETE FROM <table>" (SQLite, PostgreSQL), where the
        // identifier is not the schema part of a longer name.
        _written = new Regex(@"(?:^|[\s;(])(?i:UPDATE|DELETE\s+FROM)\s+" + escaped + @"(?![\w.])", RegexOptions.CultureInvariant);
        _mentioned = new Regex(@"(?<![\w.])" + escaped + @"(?![\w.])", RegexOptions.CultureInvariant);
    }

    public string Delimited { get; }

    public List<(string EntityType, EntityInvalidation[] Declarations)> EntityTypes { get; } = [];

    public void Add(string entityType, EntityInvalidation[] declarations) => EntityTypes.Add((entityType, declarations));

    /// <summary>Whether the command's text updates or deletes from this table as its statement target.</summary>
    public bool IsTargetOf(string commandText) => _written.IsMatch(commandText);

    /// <summary>Whether the command's text names this table anywhere (the fallback for providers that write an alias as the target).</summary>
    public bool IsMentionedBy(string commandText) => _mentioned.IsMatch(commandText);
}
