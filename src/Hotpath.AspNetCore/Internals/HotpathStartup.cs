using Hotpath.Internals;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hotpath.AspNetCore.Internals;

/// <summary>
/// Opens the connection (and starts the embedded server) when the host starts, so a bad
/// <c>REDIS_URL</c> fails start-up rather than the first request, and the first request does not pay for the connect.
/// </summary>
internal sealed class HotpathStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<HotpathCache>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
