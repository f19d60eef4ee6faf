using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using AmbientTransaction = System.Transactions.Transaction;
using AmbientTransactionStatus = System.Transactions.TransactionStatus;

namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>
/// Turns EF Core writes into cache invalidations that run after the commit. One instance serves every
/// context of the application; per-context state lives in a table keyed by the context. See readme.md.
/// </summary>
internal sealed partial class HotpathInvalidationInterceptor : ISaveChangesInterceptor, IDbTransactionInterceptor, IDbCommandInterceptor
{
    private const string CommitAction = "Commit";

    private readonly ICache _cache;
    private readonly HotpathEntityFrameworkCoreOptions _options;
    private readonly InvalidationRegistry _registry;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<DbContext, ContextInvalidations> _contexts = new();

    public HotpathInvalidationInterceptor(ICache cache, IOptions<HotpathEntityFrameworkCoreOptions> options, ILoggerFactory loggerFactory)
    {
        _cache = cache;
        _options = options.Value;
        _registry = new InvalidationRegistry(_options);
        _logger = loggerFactory.CreateLogger("Hotpath.EntityFrameworkCore");
    }

    // ---- SaveChanges: capture before the state is accepted, build keys after the save ----

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Capture(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Capture(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (Saved(eventData.Context) is { } set)
        {
            InvalidateAsync(set, "SaveChanges").AsTask().GetAwaiter().GetResult();
        }

        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (Saved(eventData.Context) is { } set)
        {
            // Not the caller's token: the write is done, and its invalidation must run whatever the caller does now.
            await InvalidateAsync(set, "SaveChanges").ConfigureAwait(false);
        }

        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => DiscardSaving(eventData.Context, "save failed");

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        DiscardSaving(eventData.Context, "save failed");
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => DiscardSaving(eventData.Context, "save was canceled");

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        DiscardSaving(eventData.Context, "save was canceled");
        return Task.CompletedTask;
    }

    private void Capture(DbContext? context)
    {
        if (context is null || _registry.IsEmpty)
        {
            return;
        }

        var state = _contexts.GetOrCreateValue(context);
        state.Saving.Clear();

        // Entries() runs DetectChanges when the context detects changes automatically, as SaveChanges would.
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var declarations = _registry.For(entry.Metadata.ClrType);
            if (declarations.Length == 0)
            {
                continue;
            }

            object? original = null;
            if (entry.State != EntityState.Added)
            {
                try
                {
                    // The old values, as a detached instance: a key built from it is the key the old row was cached under.
                    original = entry.OriginalValues.ToObject();
                }
                catch (Exception exception)
                {
                    Log.BuilderFailed(_logger, entry.Metadata.DisplayName(), exception);
                }
            }

            state.Saving.Add(new ContextInvalidations.CapturedEntry(entry.Entity, original, declarations));
        }
    }

    /// <summary>Builds the keys and tags of the save; returns them when they are due now, or null when deferred or empty.</summary>
    private InvalidationSet? Saved(DbContext? context)
    {
        if (context is null || !_contexts.TryGetValue(context, out var state) || state.Saving.Count == 0)
        {
            return null;
        }

        var set = new InvalidationSet();
        foreach (var captured in state.Saving)
        {
            foreach (var declaration in captured.Declarations)
            {
                set.Tags.UnionWith(declaration.Tags);
                Build(declaration, captured.Entity, set);
                if (captured.Original is not null)
                {
                    Build(declaration, captured.Original, set);
                }
            }
        }

        state.Saving.Clear();
        return DueNow(context, state, set);
    }

    private void Build(EntityInvalidation declaration, object entity, InvalidationSet set)
    {
        foreach (var key in declaration.Keys)
        {
            try
            {
                set.Keys.Add(key(entity));
            }
            catch (Exception exception)
            {
                set.BuilderFailures++;
                Log.BuilderFailed(_logger, declaration.ClrType.Name, exception);
            }
        }

        foreach (var tag in declaration.EntityTags)
        {
            try
            {
                set.Tags.Add(tag(entity));
            }
            catch (Exception exception)
            {
                set.BuilderFailures++;
                Log.BuilderFailed(_logger, declaration.ClrType.Name, exception);
            }
        }
    }

    private void DiscardSaving(DbContext? context, string reason)
    {
        if (context is not null && _contexts.TryGetValue(context, out var state) && state.Saving.Count > 0)
        {
            Log.Discarded(_logger, state.Saving.Count, 0, reason);
            state.Saving.Clear();
        }
    }

    /// <summary>
    /// Returns <paramref name="set"/> when no transaction holds the write back; otherwise keeps it for the
    /// commit and returns null.
    /// </summary>
    private InvalidationSet? DueNow(DbContext context, ContextInvalidations state, InvalidationSet set)
    {
        if (set.IsEmpty && set.BuilderFailures == 0)
        {
            return null;
        }

        if (context.Database.CurrentTransaction is not null)
        {
            state.Deferred.UnionWith(set);
            return null;
        }

        if (AmbientTransaction.Current is { } ambient)
        {
            // Whether the connection enlisted is the provider's business and is not visible here. Invalidate
            // now (right if it did not enlist, harmless if it did) and again once the transaction commits
            // (right if it did), so neither case leaves an old entry behind.
            var afterCommit = set.Copy();
            ambient.TransactionCompleted += (_, e) =>
            {
                if (e.Transaction?.TransactionInformation.Status is AmbientTransactionStatus.Committed or AmbientTransactionStatus.InDoubt)
                {
                    InvalidateAsync(afterCommit, "an ambient transaction committed", mayThrow: false).AsTask().GetAwaiter().GetResult();
                }
            };
        }

        return set;
    }

    // ---- Transactions: a deferred set waits for the commit ----

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        ForgetStaleDeferred(eventData.Context);
        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        ForgetStaleDeferred(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public DbTransaction TransactionUsed(DbConnection connection, TransactionEventData eventData, DbTransaction result)
    {
        ForgetStaleDeferred(eventData.Context);
        return result;
    }

    public ValueTask<DbTransaction> TransactionUsedAsync(DbConnection connection, TransactionEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        ForgetStaleDeferred(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (TakeDeferred(eventData.Context) is { } set)
        {
            InvalidateAsync(set, "a transaction committed").AsTask().GetAwaiter().GetResult();
        }
    }

    public async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (TakeDeferred(eventData.Context) is { } set)
        {
            await InvalidateAsync(set, "a transaction committed").ConfigureAwait(false);
        }
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        DiscardDeferred(eventData.Context, "transaction rolled back");

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        DiscardDeferred(eventData.Context, "transaction rolled back");
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData)
    {
        if (Failed(eventData) is { } set)
        {
            InvalidateAsync(set, "a commit with an unknown outcome").AsTask().GetAwaiter().GetResult();
        }
    }

    public async Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        if (Failed(eventData) is { } set)
        {
            await InvalidateAsync(set, "a commit with an unknown outcome").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A failed commit may still have committed (the connection dropped after the server applied it): its
    /// writes are invalidated anyway, since a needless miss is harmless and a stale entry is not. Any other
    /// failure leaves the transaction unusable and its writes undone: they are dropped.
    /// </summary>
    private InvalidationSet? Failed(TransactionErrorEventData eventData)
    {
        if (!string.Equals(eventData.Action, CommitAction, StringComparison.Ordinal))
        {
            DiscardDeferred(eventData.Context, "transaction failed");
            return null;
        }

        var set = TakeDeferred(eventData.Context);
        if (set is not null)
        {
            Log.CommitFailedInvalidating(_logger, set.Keys.Count, set.Tags.Count);
        }

        return set;
    }

    private InvalidationSet? TakeDeferred(DbContext? context) =>
        context is not null && _contexts.TryGetValue(context, out var state) && !(state.Deferred.IsEmpty && state.Deferred.BuilderFailures == 0)
            ? state.Deferred.Take()
            : null;

    private void DiscardDeferred(DbContext? context, string reason)
    {
        if (context is not null && _contexts.TryGetValue(context, out var state) && !state.Deferred.IsEmpty)
        {
            Log.Discarded(_logger, state.Deferred.Keys.Count, state.Deferred.Tags.Count, reason);
            state.Deferred.Take();
        }
    }

    /// <summary>
    /// A transaction that ended without a commit or rollback EF saw (disposed: rolled back by the database)
    /// leaves its writes behind; a new transaction starting means they were undone.
    /// </summary>
    private void ForgetStaleDeferred(DbContext? context) => DiscardDeferred(context, "previous transaction ended without a commit");

    // ---- Invalidation: one place that talks to the cache ----

    private async ValueTask InvalidateAsync(InvalidationSet set, string trigger, bool mayThrow = true)
    {
        var keyCount = set.Keys.Count;
        var tagCount = set.Tags.Count;
        try
        {
            var calls = new List<Task>(tagCount + 1);
            if (keyCount > 0)
            {
                calls.Add(_cache.DeleteAsync([.. set.Keys], CancellationToken.None).AsTask());
            }

            foreach (var tag in set.Tags)
            {
                calls.Add(_cache.InvalidateTagAsync(tag, CancellationToken.None).AsTask());
            }

            await Task.WhenAll(calls).ConfigureAwait(false);
            Log.Invalidated(_logger, keyCount, tagCount, trigger);
        }
        catch (Exception exception)
        {
            Log.InvalidationFailed(_logger, keyCount, tagCount, trigger, exception);
            if (mayThrow && _options.ThrowOnInvalidationFailure)
            {
                throw new CacheInvalidationException("The changes were saved, but the cache could not be invalidated; it may serve the old values until they expire.", exception);
            }

            return;
        }

        if (set.BuilderFailures > 0 && mayThrow && _options.ThrowOnInvalidationFailure)
        {
            throw new CacheInvalidationException($"The changes were saved, but {set.BuilderFailures} declared keys or tags could not be built (logged as event 5002); the cache may serve their old values until they expire.");
        }
    }
}
