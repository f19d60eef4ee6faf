using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hotpath.Api.Observability;

/// <summary>
/// Metrics at <c>/metrics</c> (Prometheus text, through OpenTelemetry), liveness at <c>/healthz</c>,
/// readiness at <c>/readyz</c> (the cache server and the database), and traces over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
internal static class ObservabilityExtensions
{
    public const string MetricsPath = "/metrics";
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    /// <summary>The tag of the checks <c>/readyz</c> runs; <c>AddHotpath</c> registers its PING check (named <c>hotpath</c>) with it.</summary>
    public const string ReadyTag = "ready";

    /// <summary>The standard OpenTelemetry variable; unset, no traces are collected or sent.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>ASP.NET Core's rate limiting instruments the sample does not export (see <see cref="AddSampleObservability"/>).</summary>
    public const string RateLimiterLeaseDuration = "aspnetcore.rate_limiting.request_lease.duration";

    /// <inheritdoc cref="RateLimiterLeaseDuration"/>
    public const string RateLimiterActiveLeases = "aspnetcore.rate_limiting.active_request_leases";

    /// <summary>How long the database check may take before <c>/readyz</c> reports it unhealthy.</summary>
    public static readonly TimeSpan DatabaseCheckTimeout = TimeSpan.FromSeconds(5);

    public static IHostApplicationBuilder AddSampleObservability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SampleMetrics>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>(DatabaseHealthCheck.Name, tags: [ReadyTag], timeout: DatabaseCheckTimeout);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddMeter(HotpathMeter.Name, SampleMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()

                // The rate limiting middleware times every request's lease and counts the leases held: under
                // the global /api limiter these repeat http.server.request.duration and the active requests
                // for every request. Its decisions stay (aspnetcore.rate_limiting.requests, hotpath.rate_limit.*).
                .AddView(RateLimiterLeaseDuration, MetricStreamConfiguration.Drop)
                .AddView(RateLimiterActiveLeases, MetricStreamConfiguration.Drop)

                // Every scrape reads the current values: the exporter's default keeps a response for 300 ms,
                // which would hide a request made just before a scrape.
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));

        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointSetting]))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(HotpathMeter.Name)
                .AddAspNetCoreInstrumentation(options => options.Filter = static http => !IsProbe(http.Request.Path))
                .AddOtlpExporter());
        }

        return builder;
    }

    public static WebApplication MapSampleObservability(this WebApplication app)
    {
        // Resolve the sample's instruments now: observable instruments exist only once created.
        _ = app.Services.GetRequiredService<SampleMetrics>();

        app.MapPrometheusScrapingEndpoint(MetricsPath);

        // Liveness runs no check: a cache or database outage must not get a healthy process restarted.
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = static _ => false });
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(ReadyTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments(LivenessPath) || path.StartsWithSegments(ReadinessPath);
}
