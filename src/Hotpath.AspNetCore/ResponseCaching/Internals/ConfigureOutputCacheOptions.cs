using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// Applies Hotpath's settings to the framework's output cache: the body size limit, case-sensitive
/// paths, the default duration, and Hotpath's named policies (so <c>.CacheOutput("name")</c> works too).
/// </summary>
internal sealed class ConfigureOutputCacheOptions(IOptions<HotpathResponseCacheOptions> hotpath) : IConfigureOptions<OutputCacheOptions>
{
    public void Configure(OutputCacheOptions options)
    {
        var settings = hotpath.Value;
        options.MaximumBodySize = settings.MaximumBodySize;
        options.UseCaseSensitivePaths = settings.CaseSensitivePaths;
        options.DefaultExpirationTimeSpan = settings.DefaultDuration;
        foreach (var (name, policy) in settings.Policies)
        {
            options.AddPolicy(name, policy);
        }
    }
}
