using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotpath.Api.Observability;

/// <summary>
/// Writes a readiness report as JSON: the overall status and each check's status, description and
/// duration. Exception texts are left out; the descriptions say what failed without them.
/// </summary>
internal static class HealthReportWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(
                static e => e.Key,
                static e => new
                {
                    status = e.Value.Status.ToString(),
                    description = e.Value.Description,
                    durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                }),
        };
        await JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web, context.RequestAborted);
    }
}
