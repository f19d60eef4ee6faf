using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Data;

/// <summary>Registers the sample's database from <c>DATABASE_URL</c>.</summary>
internal static class DatabaseServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AppDbContext"/> (scoped, for writes) and an <see cref="IDbContextFactory{AppDbContext}"/>
    /// (for cached reads, whose factory may outlive the request that started it when concurrent misses share it).
    /// <c>DATABASE_URL</c> is read when the first context is made, which is at start-up. Needs
    /// <c>AddHotpath(…).AddEntityFrameworkCore(…)</c>: every context carries Hotpath's invalidation.
    /// </summary>
    public static IServiceCollection AddAppDatabase(this IServiceCollection services)
    {
        services.AddSingleton(static sp => DatabaseSettings.FromConfiguration(
            sp.GetRequiredService<IConfiguration>(),
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath));
        services.AddSingleton<CommandCounter>();
        services.AddDbContextFactory<AppDbContext>(static (sp, options) =>
        {
            var settings = sp.GetRequiredService<DatabaseSettings>();
            _ = settings.Provider switch
            {
                DatabaseProvider.Sqlite => options.UseSqlite(settings.ConnectionString),
                DatabaseProvider.PostgreSql => options.UseNpgsql(settings.ConnectionString),
                _ => throw new InvalidOperationException($"Unknown provider {settings.Provider}."),
            };
            options.AddInterceptors(sp.GetRequiredService<CommandCounter>());

            // Writes invalidate what AddHotpath().AddEntityFrameworkCore(…) declared, after they commit.
            options.UseHotpathInvalidation(sp);
        });
        return services;
    }
}
