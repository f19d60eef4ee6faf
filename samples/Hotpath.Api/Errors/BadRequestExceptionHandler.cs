using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Hotpath.Api.Errors;

/// <summary>
/// Turns a request the endpoints could not bind (invalid JSON, a value of the wrong type, a missing
/// body, a query value that is not a number, an unsupported content type) into a 400 (or 415) problem
/// details response instead of a 500. Minimal APIs throw <see cref="BadHttpRequestException"/> for these
/// because <c>RouteHandlerOptions.ThrowOnBadRequest</c> is on in every environment.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        ProblemDetails problem;
        if (bad.InnerException is JsonException json)
        {
            var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "$" : json.Path.StartsWith("$.", StringComparison.Ordinal) ? json.Path[2..] : json.Path;
            problem = new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                [field] = [json.Path is null or "$" ? "The body is not valid JSON." : "The value is not valid JSON or not of the expected type."],
            })
            {
                Title = "The request body could not be read.",
                Detail = "The body must be a JSON object with the documented fields and types.",
            };
        }
        else
        {
            problem = new ProblemDetails
            {
                Title = bad.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "Unsupported Media Type" : "Bad Request",
                Detail = bad.Message,
            };
        }

        problem.Status = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }
}
