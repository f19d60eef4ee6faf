using Hotpath.Api;
using Hotpath.Api.Auth;
using Hotpath.Api.Caching;
using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Hotpath.Api.Me;
using Hotpath.Api.Observability;
using Hotpath.Api.Products;
using Hotpath.Api.Stats;
using Hotpath.Api.Throttling;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var builder = WebApplication.CreateBuilder(args);

// The cache: REDIS_URL picks the server; unset, an embedded Garnet server starts with the app. On the
// builder it returns: whole-response caching of the product reads, rate limits held in the cache server,
// Idempotency-Key on product creation, and what a write through EF Core makes stale, declared once:
// after SaveChanges commits, Hotpath deletes these keys and invalidates these tags, so no handler does.
builder.Services.AddHotpath(builder.Configuration)
    .AddResponseCache()
    .AddRateLimiting()
    .AddIdempotency()
    .AddEntityFrameworkCore(o => o
        .Entity<Product>(product => product
            .Tag(ProductCacheKeys.ListTag)              // every cached page, and every cached response of the list and items
            .Key(p => ProductCacheKeys.Item(p.Id))      // product:42:v1, a cached 404 of a new id included
            .Key(_ => ProductCacheKeys.Featured))       // products:featured:v1
        .Entity<User>(user => user
            .Key(u => MeEndpoints.ProfileKey(u.Id))));  // user:7:profile:v1

// The limits (RateLimits in appsettings.json): a token bucket over /api, admitted locally from batches
// leased from the cache server (no round trip per request), and exact login limits.
builder.Services.AddApiThrottling();

// The database: DATABASE_URL picks it; unset, a SQLite file under data/. Its contexts carry Hotpath's
// invalidation (UseHotpathInvalidation) and count their SQL commands for /api/_stats.
builder.Services.AddAppDatabase();
builder.Services.AddSingleton<AppStats>();
builder.Services.AddSingleton<CachedReader>();
builder.Services.AddSessionAuthentication(builder.Configuration);
builder.Services.AddProblemResponses();

// /metrics (OpenTelemetry, Prometheus text), /healthz (liveness), /readyz (cache server and database).
builder.AddSampleObservability();

var app = builder.Build();

await app.InitializeDatabaseAsync();

// Middleware, outermost first. Errors first so everything below answers in problem details;
// authentication before anything that depends on the caller.
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();

// Hotpath, after authentication so limits, cached responses and idempotency keys know the user:
// throttle first (even requests that authorization will refuse), then serve whole responses from the
// response cache, then remember responses to Idempotency-Key requests. CacheStatusMiddleware sits
// before the response cache so a handler's own X-Cache verdict survives a response-cache miss.
app.UseRateLimiter();
app.UseAuthorization();
app.UseMiddleware<CacheStatusMiddleware>();
app.UseHotpathResponseCache();
app.UseIdempotency();

app.MapSampleObservability();
app.MapStats();
app.MapProducts();
app.MapAuth();
app.MapMe();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Hotpath.Api");
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
    foreach (var address in addresses ?? [])
    {
        Log.Listening(logger, address);
    }
});

app.Run();

/// <summary>The entry point; public so tests can host the app with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
