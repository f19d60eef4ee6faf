using Microsoft.EntityFrameworkCore;

namespace Hotpath.EntityFrameworkCore.Tests;

public sealed class Product
{
    public int Id { get; set; }

    /// <summary>Shapes a key of its own: <c>product:sku:{Sku}:v1</c>.</summary>
    public string Sku { get; set; } = "";

    public string Name { get; set; } = "";

    public int PriceCents { get; set; }
}

public sealed class Category
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

/// <summary>Not declared to Hotpath: its writes invalidate nothing.</summary>
public sealed class AuditRecord
{
    public int Id { get; set; }

    public string Text { get; set; } = "";
}

public sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<Category> Categories => Set<Category>();

    public DbSet<AuditRecord> AuditRecords => Set<AuditRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Product>().HasIndex(p => p.Sku).IsUnique();
        modelBuilder.Entity<Category>().ToTable("Categories", schema: Database.IsNpgsql() ? "catalog" : null);
    }
}

/// <summary>The keys and tags the application caches products under.</summary>
public static class ShopKeys
{
    public const string ProductsTag = "products";
    public const string CategoriesTag = "categories";

    public static string Item(int id) => CacheKey.Create($"product:{id}:v1");

    public static string BySku(string sku) => CacheKey.Create($"product:sku:{sku}:v1");

    public const string AllProducts = "products:all:v1";

    public const string AllCategories = "categories:all:v1";
}
