using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore;

/// <summary>Returned by <c>AddHotpath</c>; Hotpath's optional features hang their registration off it.</summary>
public sealed class HotpathBuilder
{
    internal HotpathBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }
}
