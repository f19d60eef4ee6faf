using System.Text.Json.Serialization;
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
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Identity;

var builder = WebApplication.CreateBuilder(args);

// The cache: REDIS_URL picks the server; unset, an embedded Garnet server starts with the app.
// Hotpath's optional features chain on the builder this returns: whole-response caching of the product
// reads (AddResponseCache(), unless Caching:Engine picks ASP.NET Core's output cache or no cache at all,
// which exist to measure Hotpath against: see Caching/CachingSettings.cs), rate limits held in the cache
// server (limits under RateLimits in appsettings.json), and Idempotency-Key on product creation.
var caching = CachingSettings.FromConfiguration(builder.Configuration);
builder.Services.AddHotpath(builder.Configuration)
    .AddResponseCacheEngine(caching)
    .AddRateLimiting()
    .AddIdempotency();
builder.Services.AddApiThrottling();

// The database: DATABASE_URL picks it; unset, a SQLite file under data/.
builder.Services.AddAppDatabase();
builder.Services.AddSingleton<AppStats>();
builder.Services.AddSingleton<CachedReader>();
builder.Services.AddSingleton<ProductCacheInvalidator>();
builder.Services.AddSingleton(SessionSettings.From(builder.Configuration));
builder.Services.AddSingleton<SessionStore>();
builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();

// Sessions in the cache server, read by a real authentication handler so RequireAuthorization and roles work.
builder.Services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(AuthPolicies.Admin, policy => policy.RequireRole(Roles.Admin));

// Errors are RFC 9457 problem details; a body or query value that cannot be bound is a 400, not a 500.
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);

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
app.UseResponseCacheEngine(caching);
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
