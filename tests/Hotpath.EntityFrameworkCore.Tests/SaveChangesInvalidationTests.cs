using Microsoft.EntityFrameworkCore;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>Writes through SaveChanges outside an explicit transaction: invalidated when SaveChanges returns.</summary>
public sealed class SaveChangesInvalidationTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task AddingAProductInvalidatesItsTagAndTheCachedMissOfItsNewId(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(AddingAProductInvalidatesItsTagAndTheCachedMissOfItsNewId));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Single(await shop.ReadAllAsync());
        Assert.Null(await shop.ReadItemAsync(2)); // a cached "not found" for the id the new row will get
        Assert.Null(await shop.ReadBySkuAsync("B"));

        await using (var context = shop.NewContext())
        {
            context.Products.Add(new Product { Sku = "B", Name = "Banana" });
            await context.SaveChangesAsync();
        }

        Assert.Equal(["Apple", "Banana"], (await shop.ReadAllAsync()).Select(p => p.Name));
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);
        Assert.Equal("Banana", (await shop.ReadBySkuAsync("B"))?.Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task UpdatingAProductInvalidatesItsKeysAndTags(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(UpdatingAProductInvalidatesItsKeysAndTags));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple", PriceCents = 100 });
        Assert.Equal(100, (await shop.ReadItemAsync(1))?.PriceCents);
        Assert.Equal(100, (await shop.ReadAllAsync())[0].PriceCents);

        await using (var context = shop.NewContext())
        {
            var product = await context.Products.SingleAsync();
            product.PriceCents = 150;
            await context.SaveChangesAsync();
        }

        Assert.Equal(150, (await shop.ReadItemAsync(1))?.PriceCents);
        Assert.Equal(150, (await shop.ReadAllAsync())[0].PriceCents);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task SynchronousSaveChangesInvalidatesBeforeItReturns(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(SynchronousSaveChangesInvalidatesBeforeItReturns));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple", PriceCents = 100 });
        Assert.Equal(100, (await shop.ReadItemAsync(1))?.PriceCents);

        using (var context = shop.NewContext())
        {
            context.Products.Single().PriceCents = 175;
            context.SaveChanges();
        }

        Assert.Equal(175, (await shop.ReadItemAsync(1))?.PriceCents);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ChangingAKeyShapingPropertyInvalidatesTheOldAndTheNewKey(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ChangingAKeyShapingPropertyInvalidatesTheOldAndTheNewKey));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadBySkuAsync("A"))?.Name);
        Assert.Null(await shop.ReadBySkuAsync("A2"));

        await using (var context = shop.NewContext())
        {
            var product = await context.Products.SingleAsync();
            product.Sku = "A2";
            await context.SaveChangesAsync();
        }

        Assert.Null(await shop.ReadBySkuAsync("A"));
        Assert.Equal("Apple", (await shop.ReadBySkuAsync("A2"))?.Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ChangingAKeyShapingPropertyOfAnAttachedEntityInvalidatesTheOldKeyFromItsOriginalValues(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ChangingAKeyShapingPropertyOfAnAttachedEntityInvalidatesTheOldKeyFromItsOriginalValues));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadBySkuAsync("A"))?.Name);

        await using (var context = shop.NewContext())
        {
            // Attached with the values a client sent: DetectChanges finds the change against them.
            var product = new Product { Id = 1, Sku = "A", Name = "Apple" };
            context.Attach(product);
            product.Sku = "Z";
            await context.SaveChangesAsync();
        }

        Assert.Null(await shop.ReadBySkuAsync("A"));
        Assert.Equal("Apple", (await shop.ReadBySkuAsync("Z"))?.Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task DeletingAProductInvalidatesItsKeysAndTags(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(DeletingAProductInvalidatesItsKeysAndTags));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.NotNull(await shop.ReadItemAsync(1));
        Assert.NotNull(await shop.ReadBySkuAsync("A"));
        Assert.Equal(2, (await shop.ReadAllAsync()).Count);

        await using (var context = shop.NewContext())
        {
            context.Products.Remove(await context.Products.SingleAsync(p => p.Id == 1));
            await context.SaveChangesAsync();
        }

        Assert.Null(await shop.ReadItemAsync(1));
        Assert.Null(await shop.ReadBySkuAsync("A"));
        Assert.Equal(["Banana"], (await shop.ReadAllAsync()).Select(p => p.Name));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task SeveralEntitiesOfSeveralTypesInOneSaveChangesAreAllInvalidated(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(SeveralEntitiesOfSeveralTypesInOneSaveChangesAreAllInvalidated));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal("Banana", (await shop.ReadItemAsync(2))?.Name);
        Assert.Null(await shop.ReadItemAsync(3));
        Assert.Empty(await shop.ReadCategoriesAsync());

        await using (var context = shop.NewContext())
        {
            (await context.Products.SingleAsync(p => p.Id == 1)).Name = "Apricot";
            context.Products.Remove(await context.Products.SingleAsync(p => p.Id == 2));
            context.Products.Add(new Product { Sku = "C", Name = "Cherry" });
            context.Categories.Add(new Category { Name = "Fruit" });
            context.AuditRecords.Add(new AuditRecord { Text = "three products and a category" });
            await context.SaveChangesAsync();
        }

        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);
        Assert.Null(await shop.ReadItemAsync(2));
        Assert.Equal("Cherry", (await shop.ReadItemAsync(3))?.Name);
        Assert.Equal(["Apricot", "Cherry"], (await shop.ReadAllAsync()).Select(p => p.Name));
        Assert.Equal(["Fruit"], await shop.ReadCategoriesAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task WritesOfUndeclaredTypesLeaveTheCacheAlone(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(WritesOfUndeclaredTypesLeaveTheCacheAlone));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        await shop.ReadAllAsync();
        await shop.ReadItemAsync(1);
        var reads = shop.DatabaseReads;

        await using (var context = shop.NewContext())
        {
            context.AuditRecords.Add(new AuditRecord { Text = "nothing cached depends on this" });
            await context.SaveChangesAsync();
        }

        await shop.ReadAllAsync();
        await shop.ReadItemAsync(1);
        Assert.Equal(reads, shop.DatabaseReads);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ASaveChangesThatFailsInvalidatesNothing(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ASaveChangesThatFailsInvalidatesNothing));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" }, new Product { Sku = "B", Name = "Banana" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
        await shop.ReadAllAsync();
        var reads = shop.DatabaseReads;

        await using (var context = shop.NewContext())
        {
            var apple = await context.Products.SingleAsync(p => p.Id == 1);
            apple.Name = "Apricot";
            apple.Sku = "B"; // violates the unique index: nothing is written
            await Assert.ThrowsAsync<DbUpdateException>(() => context.SaveChangesAsync());
            Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);
            await shop.ReadAllAsync();
            Assert.Equal(reads, shop.DatabaseReads); // both still served from the cache

            // The same context saves again once the mistake is fixed: only then is the write invalidated.
            apple.Sku = "A";
            await context.SaveChangesAsync();
        }

        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);
        Assert.Equal("Apricot", (await shop.ReadAllAsync())[0].Name);
        Assert.Contains(shop.Logs.Records, r => r.EventId.Id == 5003);
    }
}
