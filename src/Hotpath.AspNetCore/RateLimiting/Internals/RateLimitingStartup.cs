using Hotpath.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>Creates the limiter factory when the host starts, so invalid rate limiting options fail start-up, not the first request.</summary>
internal sealed class RateLimitingStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<HotpathRateLimiterFactory>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
