using System.Transactions;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>
/// System.Transactions: writes in a TransactionScope are invalidated again once the scope commits. PostgreSQL
/// only: Microsoft.Data.Sqlite does not enlist in ambient transactions.
/// </summary>
public sealed class AmbientTransactionTests
{
    [PostgresFact]
    public async Task AWriteInATransactionScopeIsInvalidatedAfterTheScopeCommits()
    {
        await using var shop = await ShopHarness.CreateAsync(TestDatabase.Postgres, nameof(AWriteInATransactionScopeIsInvalidatedAfterTheScopeCommits));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);

        using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await using (var context = shop.NewContext())
            {
                (await context.Products.SingleAsync()).Name = "Apricot";
                await context.SaveChangesAsync();
            }

            using (new TransactionScope(TransactionScopeOption.Suppress, TransactionScopeAsyncFlowOption.Enabled))
            {
                // Outside the transaction: the committed row, cached again.
                Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
            }

            scope.Complete();
        }

        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);
    }

    [PostgresFact]
    public async Task AWriteInATransactionScopeThatRollsBackLeavesTheCommittedRowReadable()
    {
        await using var shop = await ShopHarness.CreateAsync(TestDatabase.Postgres, nameof(AWriteInATransactionScopeThatRollsBackLeavesTheCommittedRowReadable));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);

        using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
        {
            await using var context = shop.NewContext();
            (await context.Products.SingleAsync()).Name = "Apricot";
            await context.SaveChangesAsync();
        }

        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
    }
}
