using Hotpath.AspNetCore;
using Hotpath.AspNetCore.Idempotency;
using Hotpath.AspNetCore.Idempotency.Internals;
using Hotpath.Internals;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers idempotency keys.</summary>
public static class HotpathIdempotencyBuilderExtensions
{
    /// <summary>
    /// Registers the services of <c>app.UseIdempotency()</c>, which honours the <c>Idempotency-Key</c>
    /// header on endpoints marked with <c>.RequireIdempotency()</c> or <c>[Idempotent]</c>, storing
    /// responses in the shared server. With the cache disabled (<c>REDIS_URL=none</c>) requests pass
    /// through unchanged (logged once).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHotpath</c>.</param>
    /// <param name="configure">Adjusts the options.</param>
    /// <returns>The builder.</returns>
    public static HotpathBuilder AddIdempotency(this HotpathBuilder builder, Action<IdempotencyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<IdempotencyOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddSingleton(static sp => new IdempotencyStore(sp.GetRequiredService<HotpathConnection>().Database));
        builder.Services.TryAddSingleton(static sp => new IdempotencyMetrics(sp.GetRequiredService<HotpathMetrics>()));
        return builder;
    }
}
