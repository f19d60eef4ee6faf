using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Data;

/// <summary>The sample's database: products and users, on SQLite or PostgreSQL.</summary>
internal sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<User> Users => Set<User>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Product>(product =>
        {
            product.ToTable("products");
            product.Property(p => p.Name).HasMaxLength(FieldLimits.NameMaxLength);
            product.Property(p => p.Description).HasMaxLength(FieldLimits.DescriptionMaxLength);
            product.HasIndex(p => p.IsFeatured);
        });

        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.Property(u => u.Email).HasMaxLength(254);
            user.Property(u => u.DisplayName).HasMaxLength(FieldLimits.DisplayNameMaxLength);
            user.Property(u => u.Role).HasMaxLength(32);
            user.HasIndex(u => u.Email).IsUnique();
        });
    }
}
