using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>A cache that cannot invalidate never fails the user's write, unless ThrowOnInvalidationFailure says so.</summary>
public sealed class FailureTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task AFailedInvalidationIsLoggedWithoutValuesAndTheSaveSucceeds(string kind)
    {
        FailingInvalidationsCache? failing = null;
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(AFailedInvalidationIsLoggedWithoutValuesAndTheSaveSucceeds),
            wrapCache: c => failing = new FailingInvalidationsCache(c));
        await shop.SeedAsync(new Product { Sku = "SECRET-SKU", Name = "Apple" });

        await using (var context = shop.NewContext())
        {
            (await context.Products.SingleAsync()).Name = "Apricot";
            Assert.Equal(1, await context.SaveChangesAsync());
        }

        await using (var context = shop.NewContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            (await context.Products.SingleAsync()).Name = "Avocado";
            await context.SaveChangesAsync();
            await transaction.CommitAsync();
            Assert.Equal(1, await context.Products.ExecuteUpdateAsync(s => s.SetProperty(p => p.PriceCents, 9)));
        }

        Assert.True(failing!.FailedCalls >= 3);
        var failures = shop.Logs.Records.Where(r => r.EventId.Id == 5001).ToList();
        Assert.Equal(3, failures.Count);
        Assert.All(failures, r => Assert.Equal(LogLevel.Error, r.Level));
        Assert.DoesNotContain("SECRET-SKU", shop.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(ShopKeys.ProductsTag, string.Join('\n', shop.Logs.Records.Select(r => r.Message)), StringComparison.Ordinal);

        await using var check = shop.NewContext();
        Assert.Equal("Avocado", (await check.Products.SingleAsync()).Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task WithThrowOnInvalidationFailureTheCallerLearnsThatTheCacheMayBeStaleButTheRowIsSaved(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(WithThrowOnInvalidationFailureTheCallerLearnsThatTheCacheMayBeStaleButTheRowIsSaved),
            configure: o =>
            {
                ShopHarness.DeclareShop(o);
                o.ThrowOnInvalidationFailure = true;
            },
            wrapCache: c => new FailingInvalidationsCache(c));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });

        await using (var context = shop.NewContext())
        {
            (await context.Products.SingleAsync()).Name = "Apricot";
            var thrown = await Assert.ThrowsAsync<CacheInvalidationException>(() => context.SaveChangesAsync());
            Assert.IsType<TimeoutException>(thrown.InnerException);
        }

        await using (var context = shop.NewContext())
        {
            await using var transaction = await context.Database.BeginTransactionAsync();
            (await context.Products.SingleAsync()).Name = "Avocado";
            await context.SaveChangesAsync(); // deferred: nothing has failed yet
            await Assert.ThrowsAsync<CacheInvalidationException>(() => transaction.CommitAsync());
        }

        await using var check = shop.NewContext();
        Assert.Equal("Avocado", (await check.Products.SingleAsync()).Name);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task AKeyBuilderThatThrowsIsLoggedAndTheOtherKeysAreStillInvalidated(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(AKeyBuilderThatThrowsIsLoggedAndTheOtherKeysAreStillInvalidated),
            configure: o => o.Entity<Product>(e => e
                .Key(p => p.Name == "Apricot" ? throw new InvalidOperationException("a bug in a key builder") : "unused")
                .Key(p => ShopKeys.Item(p.Id))));
        await shop.SeedAsync(new Product { Sku = "A", Name = "Apple" });
        Assert.Equal("Apple", (await shop.ReadItemAsync(1))?.Name);

        await using (var context = shop.NewContext())
        {
            (await context.Products.SingleAsync()).Name = "Apricot";
            await context.SaveChangesAsync();
        }

        Assert.Equal("Apricot", (await shop.ReadItemAsync(1))?.Name);
        var record = Assert.Single(shop.Logs.Records, r => r.EventId.Id == 5002);
        Assert.Equal(LogLevel.Error, record.Level);
    }
}
