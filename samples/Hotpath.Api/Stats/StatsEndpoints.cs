namespace Hotpath.Api.Stats;

/// <summary>Maps <c>GET /api/_stats</c>.</summary>
internal static class StatsEndpoints
{
    public static IEndpointRouteBuilder MapStats(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/_stats", static (AppStats stats) => TypedResults.Ok(stats.Snapshot()));
        return app;
    }
}
