using Microsoft.AspNetCore.Mvc.Filters;

namespace Hotpath.AspNetCore.Idempotency;

/// <summary>
/// Marks an MVC action, a controller or a minimal-API handler as honouring the <c>Idempotency-Key</c>
/// header; the same as <c>.RequireIdempotency()</c> on the endpoint. Needs <c>app.UseIdempotency()</c>;
/// on an MVC action the request fails loudly when that middleware did not run.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class IdempotentAttribute : Attribute, IResourceFilter
{
    /// <inheritdoc />
    public void OnResourceExecuting(ResourceExecutingContext context) =>
        Internals.IdempotencyMiddleware.EnsureRan(context.HttpContext);

    /// <inheritdoc />
    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
