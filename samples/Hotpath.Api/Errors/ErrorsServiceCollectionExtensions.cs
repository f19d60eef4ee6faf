using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;

namespace Hotpath.Api.Errors;

/// <summary>Makes every error an RFC 9457 problem details response.</summary>
internal static class ErrorsServiceCollectionExtensions
{
    /// <summary>
    /// Problem details for every error status, and a body or query value that cannot be bound (including a
    /// JSON number sent as a string) is a 400, not a 500.
    /// </summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        return services;
    }
}
