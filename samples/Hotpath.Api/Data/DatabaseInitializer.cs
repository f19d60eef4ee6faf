using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Data;

/// <summary>Creates the schema and seeds the data on first run, for either provider.</summary>
internal static class DatabaseInitializer
{
    /// <summary>
    /// Creates the database and its tables if missing (<c>EnsureCreated</c>; the sample has no
    /// migrations), seeds the products when the table is empty and each demo user that is missing and
    /// has a password. Fails start-up with a message naming <c>DATABASE_URL</c> when it is invalid.
    /// </summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        var settings = app.Services.GetRequiredService<DatabaseSettings>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Hotpath.Api.Database");
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(settings.ConnectionString).DataSource;
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        }

        var contexts = app.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var created = await db.Database.EnsureCreatedAsync(cancellationToken);
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            // Write-ahead logging lets reads go on while a write commits; the setting is kept in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        Log.DatabaseReady(logger, settings.Description, created);

        var products = 0;
        if (!await db.Products.AnyAsync(cancellationToken))
        {
            // One SaveChanges keeps the insertion order, so a fresh database numbers the products 1..200.
            db.Products.AddRange(SeedData.Products());
            products = await db.SaveChangesAsync(cancellationToken);
        }

        var users = await SeedUsersAsync(app, db, logger, cancellationToken);
        if (products > 0 || users > 0)
        {
            Log.DatabaseSeeded(logger, products, users);
        }
    }

    private static async Task<int> SeedUsersAsync(WebApplication app, AppDbContext db, ILogger logger, CancellationToken cancellationToken)
    {
        var hasher = app.Services.GetRequiredService<IPasswordHasher<User>>();
        var seeded = 0;
        foreach (var demo in DemoUser.All)
        {
            if (await db.Users.AnyAsync(u => u.Email == demo.Email, cancellationToken))
            {
                continue;
            }

            // Outside Development a demo password must be configured: no well-known password ships to production.
            var password = app.Configuration[demo.PasswordSetting];
            if (string.IsNullOrEmpty(password) && app.Environment.IsDevelopment())
            {
                password = DemoUser.DevelopmentPassword;
            }

            if (string.IsNullOrEmpty(password))
            {
                Log.DemoUserNotSeeded(logger, demo.Role, demo.PasswordSetting);
                continue;
            }

            var user = new User { Email = demo.Email, DisplayName = demo.DisplayName, Role = demo.Role };
            user.PasswordHash = hasher.HashPassword(user, password);
            db.Users.Add(user);
            seeded++;
        }

        if (seeded > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
        }

        return seeded;
    }
}
