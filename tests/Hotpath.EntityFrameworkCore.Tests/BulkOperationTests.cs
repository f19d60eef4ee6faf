using Microsoft.EntityFrameworkCore;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>ExecuteUpdate and ExecuteDelete bypass the change tracker; their tables' tags are invalidated after the command.</summary>
public sealed class BulkOperationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ExecuteUpdateAsyncInvalidatesTheTagsOfTheTypeItWrites(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ExecuteUpdateAsyncInvalidatesTheTagsOfTheTypeItWrites));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple", PriceCents = 100 }, new Product { Sku = "B", Name = "Banana", PriceCents = 200 });
        Assert.Equal([100, 200], (await shop.ReadAllAsync()).Select(p => p.PriceCents));
        Assert.Equal(100, (await shop.ReadItemAsync(1, ShopHarness.Tagged))?.PriceCents);

        await using (var context = shop.NewContext())
        {
            var rows = await context.Products.Where(p => p.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(p => p.PriceCents, p => p.PriceCents + 50));
            Assert.Equal(1, rows);
        }

        Assert.Equal([150, 200], (await shop.ReadAllAsync()).Select(p => p.PriceCents));
        Assert.Equal(150, (await shop.ReadItemAsync(1, ShopHarness.Tagged))?.PriceCents);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task SynchronousExecuteUpdateInvalidatesBeforeItReturns(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(SynchronousExecuteUpdateInvalidatesBeforeItReturns));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple", PriceCents = 100 });
        Assert.Equal(100, (await shop.ReadAllAsync())[0].PriceCents);

        using (var context = shop.NewContext())
        {
            context.Products.ExecuteUpdate(s => s.SetProperty(p => p.PriceCents, 120));
        }

        Assert.Equal(120, (await shop.ReadAllAsync())[0].PriceCents);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ExecuteDeleteInvalidatesTheTagsOfTheTypeItDeletesFrom(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ExecuteDeleteInvalidatesTheTagsOfTheTypeItDeletesFrom));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.Equal(2, (await shop.ReadAllAsync()).Count);
        Assert.NotNull(await shop.ReadItemAsync(2, ShopHarness.Tagged));

        await using (var context = shop.NewContext())
        {
            Assert.Equal(1, await context.Products.Where(p => p.Sku == "B").ExecuteDeleteAsync());
        }

        Assert.Equal(["Apple"], (await shop.ReadAllAsync()).Select(p => p.Name));
        Assert.Null(await shop.ReadItemAsync(2, ShopHarness.Tagged));

        using (var context = shop.NewContext())
        {
            Assert.Equal(1, context.Products.ExecuteDelete());
        }

        Assert.Empty(await shop.ReadAllAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ExecuteUpdateOnATableInASchemaInvalidatesItsTypesTags(string kind)
    {
        // Categories live in schema "catalog" on PostgreSQL: the command names "catalog"."Categories".
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ExecuteUpdateOnATableInASchemaInvalidatesItsTypesTags));
        await using (var context = shop.NewContext())
        {
            context.Categories.Add(new Category { Name = "Fruit" });
            await context.SaveChangesAsync();
        }

        Assert.Equal(["Fruit"], await shop.ReadCategoriesAsync());
        await shop.ReadAllAsync();
        var reads = shop.DatabaseReads;

        await using (var context = shop.NewContext())
        {
            await context.Categories.ExecuteUpdateAsync(s => s.SetProperty(c => c.Name, "Fresh fruit"));
        }

        Assert.Equal(["Fresh fruit"], await shop.ReadCategoriesAsync());
        await shop.ReadAllAsync();
        Assert.Equal(reads + 1, shop.DatabaseReads); // the products list, another table's tag, stayed cached
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ExecuteUpdateInsideATransactionInvalidatesAfterTheCommit(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ExecuteUpdateInsideATransactionInvalidatesAfterTheCommit));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple", PriceCents = 100 });
        Assert.Equal(100, (await shop.ReadAllAsync())[0].PriceCents);

        await using (var context = shop.NewContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            await context.Products.ExecuteUpdateAsync(s => s.SetProperty(p => p.PriceCents, 300));
            await context.Products.Where(p => p.PriceCents == 0).ExecuteDeleteAsync(); // no rows: nothing owed

            Assert.Equal(100, (await shop.ReadAllAsync())[0].PriceCents); // another connection re-caches the committed row
            await transaction.CommitAsync();
        }

        Assert.Equal(300, (await shop.ReadAllAsync())[0].PriceCents);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task BulkWritesToUndeclaredTablesLeaveTheCacheAlone(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(BulkWritesToUndeclaredTablesLeaveTheCacheAlone));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        await using (var context = shop.NewContext())
        {
            context.AuditRecords.Add(new AuditRecord { Text = "Products were imported" });
            await context.SaveChangesAsync();
        }

        await shop.ReadAllAsync();
        await shop.ReadCategoriesAsync();
        var reads = shop.DatabaseReads;

        await using (var context = shop.NewContext())
        {
            Assert.Equal(1, await context.AuditRecords.ExecuteUpdateAsync(s => s.SetProperty(a => a.Text, "Products")));
            Assert.Equal(1, await context.AuditRecords.Where(a => a.Text == "Products").ExecuteDeleteAsync());
        }

        await shop.ReadAllAsync();
        await shop.ReadCategoriesAsync();
        Assert.Equal(reads, shop.DatabaseReads);
    }
}
