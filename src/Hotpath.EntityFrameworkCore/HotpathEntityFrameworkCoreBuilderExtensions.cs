using Hotpath.AspNetCore;
using Hotpath.EntityFrameworkCore;
using Hotpath.EntityFrameworkCore.Internals;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers cache invalidation driven by EF Core.</summary>
public static class HotpathEntityFrameworkCoreBuilderExtensions
{
    /// <summary>
    /// Registers the interceptor that invalidates the declared keys and tags of every entity written
    /// through EF Core, after the write commits. Attach it to a context with
    /// <c>optionsBuilder.UseHotpathInvalidation(serviceProvider)</c>. Calling this again adds to the declarations.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHotpath</c>.</param>
    /// <param name="configure">
    /// Declares the entity types, e.g. <c>o => o.Entity&lt;Product&gt;(e => e.Tag("products").Key(p => ProductKeys.Item(p.Id)))</c>.
    /// </param>
    /// <returns>The builder.</returns>
    public static HotpathBuilder AddEntityFrameworkCore(this HotpathBuilder builder, Action<HotpathEntityFrameworkCoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<HotpathEntityFrameworkCoreOptions>().Configure(configure);
        builder.Services.TryAddSingleton<HotpathInvalidationInterceptor>();
        return builder;
    }
}
