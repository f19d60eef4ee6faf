using Hotpath;
using Hotpath.AspNetCore;
using Hotpath.Internals;
using Hotpath.Tokens;
using Hotpath.Tokens.Internals;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers one-time tokens.</summary>
public static class HotpathOneTimeTokensBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="IOneTimeTokenService"/>: single-use tokens with a payload and a lifetime,
    /// stored in the shared server as hashes. With the cache disabled (<c>REDIS_URL=none</c>) tokens are
    /// kept in this process and work only on the instance that created them (logged once).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHotpath</c>.</param>
    /// <returns>The builder.</returns>
    public static HotpathBuilder AddOneTimeTokens(this HotpathBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(static sp => OneTimeTokenService.Create(
            sp.GetRequiredService<HotpathConnection>(),
            sp.GetRequiredService<IOptions<HotpathOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.TryAddSingleton<IOneTimeTokenService>(static sp => sp.GetRequiredService<OneTimeTokenService>());
        return builder;
    }
}
