using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.Internals;

/// <summary>Says at start-up that <c>AddDistributedCache()</c> left the application's own <c>IDistributedCache</c> in place.</summary>
internal sealed class DistributedCacheNotice(ILoggerFactory loggerFactory, string registeredType) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Hotpath.Caching.Internals.Log.DistributedCacheAlreadyRegistered(loggerFactory.CreateLogger("Hotpath.DistributedCache"), registeredType);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
