using Hotpath.Api.Auth;
using Hotpath.Api.Caching;
using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Hotpath.Api.Observability;
using Hotpath.Api.Stats;
using Hotpath.Api.Throttling;

namespace Hotpath.Bench.Host;

/// <summary>
/// The sample's product reads behind the engine <c>Bench:Engine</c> names, for bench/http/compare.sh to
/// measure Hotpath against. Everything around the reads is the sample's own: database (and its command
/// count at <c>/api/_stats</c>), limits, authentication, error handling, observability, middleware order.
/// </summary>
public sealed class Program
{
    private Program()
    {
    }

    /// <summary>Runs the host; <c>--urls</c> and every setting of the sample apply.</summary>
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var engine = BenchSettings.FromConfiguration(builder.Configuration).Engine;

        // The sample's services but its response cache: Hotpath's value cache behind the handlers, limits in
        // the cache server. No product is written here, so nothing is declared for EF Core to invalidate;
        // the sample's database registration attaches the interceptor all the same.
        builder.Services.AddHotpath(builder.Configuration)
            .AddRateLimiting()
            .AddEntityFrameworkCore(static _ => { });
        builder.Services.AddApiThrottling();
        builder.Services.AddAppDatabase();
        builder.Services.AddSingleton<AppStats>();
        builder.Services.AddSingleton<CachedReader>();
        builder.Services.AddSessionAuthentication(builder.Configuration);
        builder.Services.AddProblemResponses();
        builder.AddSampleObservability();
        if (engine == BenchEngine.OutputCache)
        {
            builder.Services.AddRedisOutputCache();
        }

        var app = builder.Build();
        await app.InitializeDatabaseAsync();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        if (engine == BenchEngine.OutputCache)
        {
            app.UseMiddleware<CacheStatusMiddleware>();
            app.UseOutputCache();
        }

        app.MapSampleObservability();
        app.MapStats();
        app.MapBenchProducts(engine);
        await app.RunAsync();
    }
}
