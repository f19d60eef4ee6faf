using Microsoft.EntityFrameworkCore;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>Writes inside an explicit transaction are invalidated after the commit, and never on a rollback.</summary>
public sealed class TransactionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task InvalidationWaitsForTheCommitSoAReaderCannotRecacheTheOldRow(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(InvalidationWaitsForTheCommitSoAReaderCannotRecacheTheOldRow));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Null(await shop.ReadItemAsync(2));

        await using (var context = shop.NewContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            (await context.Products.SingleAsync()).Name = "Apricot";
            await context.SaveChangesAsync();
            context.Products.Add(new Product { Sku = "B", Name = "Banana" });
            await context.SaveChangesAsync();

            // Another connection sees the committed rows; had the invalidation run already, this read would
            // cache them again and they would outlive the commit.
            Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
            Assert.Null(await shop.ReadItemAsync(2));
            Assert.Single(await shop.ReadAllAsync());

            await transaction.CommitAsync();
        }

        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);
        Assert.Equal(2, (await shop.ReadAllAsync()).Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task SynchronousCommitInvalidatesBeforeItReturns(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(SynchronousCommitInvalidatesBeforeItReturns));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });

        using (var context = shop.NewContext())
        {
            using var transaction = context.Database.BeginTransaction();
            context.Products.Single().Name = "Apricot";
            context.SaveChanges();
            Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
            transaction.Commit();
        }

        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ARolledBackTransactionInvalidatesNothing(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ARolledBackTransactionInvalidatesNothing));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        await shop.ReadAllAsync();
        var reads = shop.DatabaseReads;

        await using (var context = shop.NewContext())
        {
            await using (var transaction = await context.Database.BeginTransactionAsync())
            {
                (await context.Products.SingleAsync()).Name = "Apricot";
                await context.SaveChangesAsync();
                await context.Products.Where(p => p.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(p => p.PriceCents, 5));
                await transaction.RollbackAsync();
            }

            // A later transaction on the same context owes only its own writes.
            await using (var transaction = await context.Database.BeginTransactionAsync())
            {
                context.AuditRecords.Add(new AuditRecord { Text = "unrelated" });
                await context.SaveChangesAsync();
                await transaction.CommitAsync();
            }
        }

        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        await shop.ReadAllAsync();
        Assert.Equal(reads, shop.DatabaseReads);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ATransactionDisposedWithoutACommitInvalidatesNothingAndTheNextCommitOnlyItsOwnWrites(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ATransactionDisposedWithoutACommitInvalidatesNothingAndTheNextCommitOnlyItsOwnWrites));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);

        await using (var context = shop.NewContext())
        {
            await using (await context.Database.BeginTransactionAsync())
            {
                (await context.Products.SingleAsync(p => p.Id == 1)).Name = "Apricot";
                await context.SaveChangesAsync();
            }

            context.ChangeTracker.Clear();
            await using (var transaction = await context.Database.BeginTransactionAsync())
            {
                (await context.Products.SingleAsync(p => p.Id == 2)).Name = "Blueberry";
                await context.SaveChangesAsync();
                await transaction.CommitAsync();
            }
        }

        var reads = shop.DatabaseReads;
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal(reads, shop.DatabaseReads); // still the cached row: nothing to invalidate
        Assert.Equal("Blueberry", (await shop.ReadItemAsync(2))?.Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ACommitThatFailsInvalidatesItsWritesAnyway(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ACommitThatFailsInvalidatesItsWritesAnyway));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        var reads = shop.DatabaseReads;

        await using (var context = shop.NewContext(new FailingCommit()))
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            (await context.Products.SingleAsync()).Name = "Apricot";
            await context.SaveChangesAsync();

            // A commit that throws may still have committed (a connection lost after the server applied it).
            await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.CommitAsync());
        }

        // The cached row was invalidated: the next read goes to the database.
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal(reads + 1, shop.DatabaseReads);
        Assert.Contains(shop.Logs.Records, r => r.EventId.Id == 5005);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ACancelledSaveChangesInvalidatesNothing(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ACancelledSaveChangesInvalidatesNothing));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await using (var context = shop.NewContext())
        {
            (await context.Products.SingleAsync(p => p.Id == 1)).Name = "Apricot";
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => context.SaveChangesAsync(cancelled.Token));

            // The next save on the same context owes only its own writes.
            context.ChangeTracker.Clear();
            (await context.Products.SingleAsync(p => p.Id == 2)).Name = "Blueberry";
            await context.SaveChangesAsync();
        }

        var reads = shop.DatabaseReads;
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal(reads, shop.DatabaseReads); // still the cached row: nothing was written, nothing invalidated
        Assert.Equal("Blueberry", (await shop.ReadItemAsync(2))?.Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task WritesRolledBackToASavepointAreStillInvalidatedAtTheCommit(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(WritesRolledBackToASavepointAreStillInvalidatedAtTheCommit));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);

        await using (var context = shop.NewContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            (await context.Products.SingleAsync(p => p.Id == 1)).Name = "Apricot";
            await context.SaveChangesAsync();
            await transaction.CreateSavepointAsync("before-b");
            (await context.Products.SingleAsync(p => p.Id == 2)).Name = "Blueberry";
            await context.SaveChangesAsync();
            await transaction.RollbackToSavepointAsync("before-b");
            await transaction.CommitAsync();
        }

        var reads = shop.DatabaseReads;
        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);

        // B's write was undone, and its key invalidated anyway: a needless miss, never a stale entry.
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);
        Assert.Equal(reads + 2, shop.DatabaseReads);
    }

    /// <summary>Fails every commit before it reaches the database.</summary>
    private sealed class FailingCommit : Microsoft.EntityFrameworkCore.Diagnostics.DbTransactionInterceptor
    {
        public override ValueTask<Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult> TransactionCommittingAsync(
            System.Data.Common.DbTransaction transaction,
            Microsoft.EntityFrameworkCore.Diagnostics.TransactionEventData eventData,
            Microsoft.EntityFrameworkCore.Diagnostics.InterceptionResult result,
            CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the connection was lost during the commit");
    }
}
