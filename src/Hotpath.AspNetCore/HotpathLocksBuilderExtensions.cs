using Hotpath.AspNetCore;
using Hotpath.Internals;
using Hotpath.Locking;
using Hotpath.Locking.Internals;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers distributed locks.</summary>
public static class HotpathLocksBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="ILockService"/>: named locks with leases and fencing tokens in the shared
    /// server. With the cache disabled (<c>REDIS_URL=none</c>) the locks are held in this process and
    /// exclude only its own callers (logged once).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHotpath</c>.</param>
    /// <param name="configure">Adjusts the options.</param>
    /// <returns>The builder.</returns>
    public static HotpathBuilder AddLocks(this HotpathBuilder builder, Action<LockOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<LockOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddSingleton(static sp => LockService.Create(
            sp.GetRequiredService<HotpathConnection>(),
            sp.GetRequiredService<IOptions<LockOptions>>().Value,
            sp.GetRequiredService<HotpathMetrics>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.TryAddSingleton<ILockService>(static sp => sp.GetRequiredService<LockService>());
        return builder;
    }
}
