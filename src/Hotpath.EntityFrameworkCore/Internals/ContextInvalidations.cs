namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>
/// The invalidations one <see cref="Microsoft.EntityFrameworkCore.DbContext"/> owes the cache. A context
/// is used by one caller at a time, so nothing here is locked.
/// </summary>
internal sealed class ContextInvalidations
{
    /// <summary>Entries captured in SavingChanges, turned into keys in SavedChanges (store-generated ids are known then).</summary>
    public List<CapturedEntry> Saving { get; } = [];

    /// <summary>Writes done inside a transaction that has not committed yet.</summary>
    public InvalidationSet Deferred { get; } = new();

    /// <param name="Entity">The entity instance; holds the current values after the save.</param>
    /// <param name="Original">A detached copy holding the original values, for updates and deletes.</param>
    /// <param name="Declarations">What the entity's type and its base types declare.</param>
    internal readonly record struct CapturedEntry(object Entity, object? Original, EntityInvalidation[] Declarations);
}
