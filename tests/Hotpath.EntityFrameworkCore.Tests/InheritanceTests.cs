using Hotpath.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotpath.EntityFrameworkCore.Tests;

public class CatalogItem
{
    public int Id { get; set; }

    public string Title { get; set; } = "";
}

public sealed class Book : CatalogItem
{
    public string Isbn { get; set; } = "";
}

public sealed class CatalogContext(DbContextOptions<CatalogContext> options) : DbContext(options)
{
    public DbSet<CatalogItem> Items => Set<CatalogItem>();

    public DbSet<Book> Books => Set<Book>();
}

/// <summary>A declaration on a base type covers derived types, through SaveChanges and on a shared (TPH) table.</summary>
public sealed class InheritanceTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Kinds), MemberType = typeof(TestDatabase))]
    public async Task ADeclarationOnABaseTypeCoversWritesOfDerivedTypes(string kind)
    {
        await using var database = await TestDatabase.CreateAsync(kind);
        var cache = TestServers.Cache(TestServers.Garnet, nameof(ADeclarationOnABaseTypeCoversWritesOfDerivedTypes));
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton<ICache>(cache);
        services.AddHotpath().AddEntityFrameworkCore(o => o.Entity<CatalogItem>(e => e
            .Tag("items")
            .Key(i => CacheKey.Create($"item:{i.Id}:v1"))));
        await using var provider = services.BuildServiceProvider();
        var options = database.Configure(new DbContextOptionsBuilder<CatalogContext>()).UseHotpathInvalidation(provider).Options;
        await using (var context = new CatalogContext(options))
        {
            await context.Database.EnsureCreatedAsync();
        }

        var reads = 0;
        ValueTask<List<string>> ReadTitlesAsync() => cache.GetOrSetAsync("items:all:v1", options, async (o, ct) =>
        {
            Interlocked.Increment(ref reads);
            await using var context = new CatalogContext(o);
            return await context.Items.OrderBy(i => i.Id).Select(i => i.Title).ToListAsync(ct);
        }, new CacheEntryOptions { Tags = ["items"] });
        ValueTask<string?> ReadItemAsync(int id) => cache.GetOrSetAsync(CacheKey.Create($"item:{id}:v1"), (options, id), static async (s, ct) =>
        {
            await using var context = new CatalogContext(s.options);
            return await context.Items.Where(i => i.Id == s.id).Select(i => i.Title).SingleOrDefaultAsync(ct);
        });

        Assert.Empty(await ReadTitlesAsync());
        Assert.Null(await ReadItemAsync(1));

        await using (var context = new CatalogContext(options))
        {
            context.Books.Add(new Book { Title = "Dune", Isbn = "978-0441013593" });
            await context.SaveChangesAsync();
        }

        Assert.Equal(["Dune"], await ReadTitlesAsync());
        Assert.Equal("Dune", await ReadItemAsync(1));

        await using (var context = new CatalogContext(options))
        {
            Assert.Equal(1, await context.Books.ExecuteUpdateAsync(s => s.SetProperty(b => b.Title, "Dune Messiah")));
        }

        Assert.Equal(["Dune Messiah"], await ReadTitlesAsync());
        Assert.Equal(3, reads);
        cache.Dispose();
    }
}
