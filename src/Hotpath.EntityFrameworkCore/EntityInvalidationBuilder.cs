using Hotpath.EntityFrameworkCore.Internals;

namespace Hotpath.EntityFrameworkCore;

/// <summary>
/// Declares the tags and keys a write of <typeparamref name="TEntity"/> invalidates. Returned to the
/// callback of <see cref="HotpathEntityFrameworkCoreOptions.Entity{TEntity}"/>.
/// </summary>
/// <typeparam name="TEntity">The entity's CLR type.</typeparam>
public sealed class EntityInvalidationBuilder<TEntity>
    where TEntity : class
{
    private readonly EntityInvalidation _entity;

    internal EntityInvalidationBuilder(EntityInvalidation entity)
    {
        _entity = entity;
    }

    /// <summary>
    /// A tag invalidated by every write of the type: an add, update or delete through <c>SaveChanges</c>,
    /// and an <c>ExecuteUpdate</c> or <c>ExecuteDelete</c> on its table. One round trip per tag and commit.
    /// </summary>
    /// <param name="tag">The tag, as given to <see cref="CacheEntryOptions"/> when the entries were cached.</param>
    /// <returns>This builder, for chaining.</returns>
    public EntityInvalidationBuilder<TEntity> Tag(string tag)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        _entity.Tags.Add(tag);
        return this;
    }

    /// <summary>
    /// A tag built from the written entity, e.g. <c>p => $"category:{p.CategoryId}"</c>. Built from the
    /// current values and, for an update or delete, from the original values too. Not invalidated by
    /// <c>ExecuteUpdate</c> or <c>ExecuteDelete</c>, which have no entities.
    /// </summary>
    /// <param name="tag">Builds the tag from scalar properties; navigations are not loaded on the original values.</param>
    /// <returns>This builder, for chaining.</returns>
    public EntityInvalidationBuilder<TEntity> Tag(Func<TEntity, string> tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        _entity.EntityTags.Add(e => tag((TEntity)e));
        return this;
    }

    /// <summary>
    /// A cache key built from the written entity, e.g. <c>p => ProductKeys.Item(p.Id)</c>. Built after the
    /// save, from the current values (so store-generated ids are known) and, for an update or delete, from
    /// the original values too: when a property the key uses changed, both the old and the new key are deleted.
    /// Not deleted by <c>ExecuteUpdate</c> or <c>ExecuteDelete</c>, which have no entities: cache such
    /// entries with one of the type's tags as well.
    /// </summary>
    /// <param name="key">Builds the key from scalar properties; navigations are not loaded on the original values.</param>
    /// <returns>This builder, for chaining.</returns>
    public EntityInvalidationBuilder<TEntity> Key(Func<TEntity, string> key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _entity.Keys.Add(e => key((TEntity)e));
        return this;
    }
}
