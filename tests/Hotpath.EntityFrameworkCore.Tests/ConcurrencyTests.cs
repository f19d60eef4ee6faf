using Microsoft.EntityFrameworkCore;

namespace Hotpath.EntityFrameworkCore.Tests;

public sealed class ConcurrencyTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ReadersRunningDuringTheCommitNeverLeaveTheOldRowCached(string kind)
    {
        await using var shop = await ShopHarness.CreateAsync(kind, nameof(ReadersRunningDuringTheCommitNeverLeaveTheOldRowCached));
        await shop.SeedAsync(new Product { Sku = "A", Name = "v0" });
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                await shop.ReadItemAsync(1);
                count++;
            }

            return count;
        })).ToArray();

        for (var round = 1; round <= 8; round++)
        {
            await using (var context = shop.NewContext())
            {
                await using var transaction = await context.Database.BeginTransactionAsync();
                (await context.Products.SingleAsync()).Name = $"v{round}";
                await context.SaveChangesAsync();
                await Task.Yield();
                await transaction.CommitAsync();
            }

            Assert.Equal($"v{round}", (await shop.ReadItemAsync(1))?.Name);
        }

        await stop.CancelAsync();
        var reads = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(reads, r => Assert.True(r > 0));
        Assert.Equal("v8", (await shop.ReadItemAsync(1))?.Name);
    }
}
