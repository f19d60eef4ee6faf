using Hotpath.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>
/// One test's world: its own database, a cache with its own key prefix on the embedded Garnet server,
/// and the application's services with the EF Core integration declared the way an application would.
/// Reads go through <see cref="ICache.GetOrSetAsync{TState, T}"/> with the database as the factory, each on
/// a fresh context (its own connection), like request handlers.
/// </summary>
internal sealed class ShopHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly DbContextOptions<ShopContext> _options;

    private ShopHarness(TestDatabase database, ICache cache, ServiceProvider services, CapturingLoggerProvider logs)
    {
        Database = database;
        Cache = cache;
        _services = services;
        Logs = logs;
        _options = database.Configure(new DbContextOptionsBuilder<ShopContext>()).UseHotpathInvalidation(services).Options;
    }

    public TestDatabase Database { get; }

    public ICache Cache { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>How many times a read went to the database.</summary>
    public int DatabaseReads => _databaseReads;

    private int _databaseReads;

    public static readonly CacheEntryOptions Tagged = new() { Tags = [ShopKeys.ProductsTag] };

    public static async Task<ShopHarness> CreateAsync(
        string kind,
        string testName,
        Action<HotpathEntityFrameworkCoreOptions>? configure = null,
        Func<ICache, ICache>? wrapCache = null)
    {
        var database = await TestDatabase.CreateAsync(kind);
        var logs = new CapturingLoggerProvider();
        ICache cache = TestServers.Cache(TestServers.Garnet, testName);
        cache = wrapCache?.Invoke(cache) ?? cache;

        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddSingleton(cache); // registered first: AddHotpath keeps it
        services.AddHotpath().AddEntityFrameworkCore(configure ?? DeclareShop);
        var provider = services.BuildServiceProvider(validateScopes: true);

        var harness = new ShopHarness(database, provider.GetRequiredService<ICache>(), provider, logs);
        await using var context = harness.NewContext();
        await context.Database.EnsureCreatedAsync();
        return harness;
    }

    /// <summary>The declarations the tests run with, written as an application would.</summary>
    public static void DeclareShop(HotpathEntityFrameworkCoreOptions o) => o
        .Entity<Product>(e => e
            .Tag(ShopKeys.ProductsTag)
            .Key(p => ShopKeys.Item(p.Id))
            .Key(p => ShopKeys.BySku(p.Sku)))
        .Entity<Category>(e => e.Tag(ShopKeys.CategoriesTag));

    public ShopContext NewContext() => new(_options);

    /// <summary>A context with the integration and <paramref name="interceptors"/> after it.</summary>
    public ShopContext NewContext(params Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor[] interceptors) =>
        new(new DbContextOptionsBuilder<ShopContext>(_options).AddInterceptors(interceptors).Options);

    /// <summary>Seeds rows without the integration watching (its own context without the interceptor).</summary>
    public async Task SeedAsync(params Product[] products)
    {
        await using var context = new ShopContext(Database.Configure(new DbContextOptionsBuilder<ShopContext>()).Options);
        context.Products.AddRange(products);
        await context.SaveChangesAsync();
    }

    /// <summary>The cached product with this id (untagged: only key invalidation reaches it), or null.</summary>
    public ValueTask<ProductView?> ReadItemAsync(int id, CacheEntryOptions? options = null) =>
        Cache.GetOrSetAsync(ShopKeys.Item(id), (this, id), static async (s, ct) =>
        {
            Interlocked.Increment(ref s.Item1._databaseReads);
            await using var context = s.Item1.NewContext();
            var p = await context.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Id == s.id, ct);
            return p is null ? null : new ProductView(p.Id, p.Sku, p.Name, p.PriceCents);
        }, options);

    /// <summary>The cached product with this SKU (untagged), or null.</summary>
    public ValueTask<ProductView?> ReadBySkuAsync(string sku) =>
        Cache.GetOrSetAsync(ShopKeys.BySku(sku), (this, sku), static async (s, ct) =>
        {
            Interlocked.Increment(ref s.Item1._databaseReads);
            await using var context = s.Item1.NewContext();
            var p = await context.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Sku == s.sku, ct);
            return p is null ? null : new ProductView(p.Id, p.Sku, p.Name, p.PriceCents);
        }, options: null);

    /// <summary>The cached list of every product, tagged <c>products</c>.</summary>
    public ValueTask<List<ProductView>> ReadAllAsync() =>
        Cache.GetOrSetAsync(ShopKeys.AllProducts, this, static async (s, ct) =>
        {
            Interlocked.Increment(ref s._databaseReads);
            await using var context = s.NewContext();
            return await context.Products.AsNoTracking().OrderBy(p => p.Id)
                .Select(p => new ProductView(p.Id, p.Sku, p.Name, p.PriceCents)).ToListAsync(ct);
        }, Tagged);

    /// <summary>The cached list of category names, tagged <c>categories</c>.</summary>
    public ValueTask<List<string>> ReadCategoriesAsync() =>
        Cache.GetOrSetAsync(ShopKeys.AllCategories, this, static async (s, ct) =>
        {
            Interlocked.Increment(ref s._databaseReads);
            await using var context = s.NewContext();
            return await context.Categories.AsNoTracking().OrderBy(c => c.Id).Select(c => c.Name).ToListAsync(ct);
        }, new CacheEntryOptions { Tags = [ShopKeys.CategoriesTag] });

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        (Cache as IDisposable)?.Dispose();
        await Database.DisposeAsync();
    }
}

public sealed record ProductView(int Id, string Sku, string Name, int PriceCents);
