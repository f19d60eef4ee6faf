using Hotpath.EntityFrameworkCore.Internals;

namespace Hotpath.EntityFrameworkCore;

/// <summary>
/// Declares, per entity type, the cache keys and tags a write of that type invalidates, and how
/// invalidation failures are reported. Configured through <c>AddHotpath().AddEntityFrameworkCore(…)</c>.
/// </summary>
public sealed class HotpathEntityFrameworkCoreOptions
{
    private readonly Dictionary<Type, EntityInvalidation> _entities = [];

    /// <summary>
    /// Whether a failure to invalidate after a commit throws a <see cref="CacheInvalidationException"/>
    /// from <c>SaveChanges</c> (outside a transaction) or from <c>Commit</c>. The changes are saved either
    /// way; the exception only reports that the cache may still hold the old values. The default is
    /// <see langword="false"/>: the failure is logged (event 5001) and the call returns normally.
    /// </summary>
    /// <remarks>
    /// A server fault reaches this library as an exception only when <see cref="HotpathOptions.ThrowOnWriteErrors"/>
    /// is set; otherwise the cache logs the fault and queues the invalidation for replay, and the call is not
    /// a failure here.
    /// </remarks>
    public bool ThrowOnInvalidationFailure { get; set; }

    /// <summary>
    /// Declares what a write of <typeparamref name="TEntity"/> (or a type derived from it) invalidates.
    /// Calling it again for the same type adds to the earlier declaration.
    /// </summary>
    /// <typeparam name="TEntity">The entity's CLR type.</typeparam>
    /// <param name="configure">Adds tags and keys, e.g. <c>e => e.Tag("products").Key(p => ProductKeys.Item(p.Id))</c>.</param>
    /// <returns>These options, for chaining.</returns>
    public HotpathEntityFrameworkCoreOptions Entity<TEntity>(Action<EntityInvalidationBuilder<TEntity>> configure)
        where TEntity : class
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (!_entities.TryGetValue(typeof(TEntity), out var entity))
        {
            entity = new EntityInvalidation(typeof(TEntity));
            _entities.Add(typeof(TEntity), entity);
        }

        configure(new EntityInvalidationBuilder<TEntity>(entity));
        return this;
    }

    internal IReadOnlyDictionary<Type, EntityInvalidation> Entities => _entities;
}
