using Hotpath.EntityFrameworkCore.Internals;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Attaches Hotpath's cache invalidation to a <see cref="DbContext"/>.</summary>
public static class HotpathDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Adds Hotpath's interceptor to the context: writes through <c>SaveChanges</c>, <c>ExecuteUpdate</c> and
    /// <c>ExecuteDelete</c> invalidate the keys and tags declared in <c>AddEntityFrameworkCore</c>, after the
    /// write commits. Costs nothing for entity types without declarations; one round trip per declared tag and
    /// one for all keys of a commit.
    /// </summary>
    /// <param name="optionsBuilder">The context's options builder.</param>
    /// <param name="serviceProvider">The application's services, as passed to <c>AddDbContext((sp, options) => …)</c>.</param>
    /// <returns>The options builder.</returns>
    /// <exception cref="InvalidOperationException"><c>AddHotpath().AddEntityFrameworkCore(…)</c> was not called.</exception>
    public static DbContextOptionsBuilder UseHotpathInvalidation(this DbContextOptionsBuilder optionsBuilder, IServiceProvider serviceProvider)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(serviceProvider);
        var interceptor = serviceProvider.GetService<HotpathInvalidationInterceptor>()
            ?? throw new InvalidOperationException(
                "UseHotpathInvalidation needs Hotpath's EF Core services: call services.AddHotpath().AddEntityFrameworkCore(o => …) at start-up.");
        return optionsBuilder.AddInterceptors(interceptor);
    }

    /// <inheritdoc cref="UseHotpathInvalidation(DbContextOptionsBuilder, IServiceProvider)"/>
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseHotpathInvalidation<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder, IServiceProvider serviceProvider)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseHotpathInvalidation((DbContextOptionsBuilder)optionsBuilder, serviceProvider);
}
