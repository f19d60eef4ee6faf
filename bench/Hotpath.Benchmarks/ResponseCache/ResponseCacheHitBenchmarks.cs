using BenchmarkDotNet.Attributes;
using Hotpath.Benchmarks.Infrastructure;
using Hotpath.Internals;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotpath.Benchmarks.ResponseCache;

/// <summary>
/// One GET of a page of 20 products (about 6 KB of JSON) through a whole ASP.NET Core pipeline in process
/// (TestServer): served from Hotpath's response cache, from ASP.NET Core's output cache with its Redis
/// store (Microsoft.AspNetCore.OutputCaching.StackExchangeRedis), and by a handler that serializes the page
/// every time (the baseline: no cache, no database). Both caches hold the entry in the same Redis
/// (<c>HOTPATH_BENCH_REDIS</c>), written before the run, with the same policy: tag <c>products</c>, varied
/// by <c>page</c> and <c>pageSize</c>, anonymous requests only.
/// </summary>
/// <remarks>
/// Hotpath runs with its defaults (memory tier on), so a hit after the first comes from process memory
/// (the entry and its tag version), without a Redis read. The output cache reads its entry with one GET and keeps tags in
/// sorted sets that a hit never reads. Each host has its own StackExchange.Redis connection. The time and
/// bytes include what TestServer itself costs per request (a context, its features, the response pipe),
/// which the baseline row shows with the handler's serialization. A response that does not carry
/// <c>Age</c> (a miss) is counted in the Check column.
/// </remarks>
[MemoryDiagnoser]
[PilotedJob]
public class ResponseCacheHitBenchmarks
{
    private const string Path = "/api/products";
    private const string Query = "?page=1&pageSize=20";
    private const string Tag = "products";
    private static readonly TimeSpan Duration = TimeSpan.FromMinutes(10);
    private static readonly Type Self = typeof(ResponseCacheHitBenchmarks);
    private static readonly PageBody Body = new([.. Payloads.Large.Take(20)], 1, 20, Payloads.LargeCount, 4);

    private WebApplication _uncached = null!;
    private WebApplication _hotpath = null!;
    private WebApplication _outputCache = null!;
    private TestServer _uncachedServer = null!;
    private TestServer _hotpathServer = null!;
    private TestServer _outputCacheServer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var run = Guid.NewGuid().ToString("N")[..8];

        _uncached = Build(static _ => { }, static endpoint => { });

        _hotpath = Build(
            services => services.AddHotpath(configuration: null, configure: o =>
            {
                o.RedisUrl = BenchRedis.Url;
                o.KeyPrefix = $"{BenchRedis.KeyPrefix}rc-{run}:";
            }).AddResponseCache(),
            static endpoint => endpoint.CacheResponse(p => p.Expire(Duration).Tag(Tag).VaryByQuery("page", "pageSize")),
            static app => app.UseHotpathResponseCache());

        _outputCache = Build(
            services =>
            {
                services.AddStackExchangeRedisOutputCache(o =>
                {
                    o.ConfigurationOptions = BenchRedis.Options("bench-output-cache");
                    o.InstanceName = $"{BenchRedis.KeyPrefix}oc-{run}:";
                });
                services.AddOutputCache();
            },
            static endpoint => endpoint.CacheOutput(p => p.Expire(Duration).Tag(Tag).SetVaryByQuery("page", "pageSize")),
            static app => app.UseOutputCache());

        _uncachedServer = Start(_uncached);
        _hotpathServer = Start(_hotpath);
        _outputCacheServer = Start(_outputCache);

        // Hotpath's memory tier serves tag versions only once its backplane is subscribed.
        var memory = ((HotpathCache)_hotpath.Services.GetRequiredService<ICache>()).Memory!;
        for (var i = 0; i < 500 && !memory.IsTrusted; i++)
        {
            Thread.Sleep(10);
        }

        foreach (var server in new[] { _hotpathServer, _outputCacheServer })
        {
            // The first request stores the entry; the next must be a hit.
            var stored = Send(server).GetAwaiter().GetResult();
            var hit = Send(server).GetAwaiter().GetResult();
            if (stored.Response.StatusCode != 200 || hit.Response.StatusCode != 200 || !hit.Response.Headers.ContainsKey("Age"))
            {
                throw new InvalidOperationException($"The cached host did not answer a hit after storing the page (status {hit.Response.StatusCode}).");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var app in new[] { _uncached, _hotpath, _outputCache })
        {
            app.StopAsync().GetAwaiter().GetResult();
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(Baseline = true, Description = "Uncached handler")]
    public async Task<int> Uncached() => (await Send(_uncachedServer)).Response.StatusCode;

    [Benchmark(Description = "Hotpath")]
    public async Task<int> Hotpath() => Checked(await Send(_hotpathServer), nameof(Hotpath));

    [Benchmark(Description = "OutputCache (Redis store)")]
    public async Task<int> OutputCache() => Checked(await Send(_outputCacheServer), nameof(OutputCache));

    private static Task<HttpContext> Send(TestServer server) =>
        server.SendAsync(static context =>
        {
            context.Request.Method = HttpMethods.Get;
            context.Request.Path = Path;
            context.Request.QueryString = new QueryString(Query);
        });

    private static int Checked(HttpContext context, string method)
    {
        if (!context.Response.Headers.ContainsKey("Age"))
        {
            CaseLog.Unexpected(Self, method, "not served from the cache");
        }

        return context.Response.StatusCode;
    }

    private static WebApplication Build(Action<IServiceCollection> services, Action<RouteHandlerBuilder> endpoint, Action<WebApplication>? pipeline = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        services(builder.Services);
        var app = builder.Build();
        pipeline?.Invoke(app);
        endpoint(app.MapGet(Path, static () => TypedResults.Ok(Body)));
        return app;
    }

    private static TestServer Start(WebApplication app)
    {
        app.StartAsync().GetAwaiter().GetResult();
        return app.GetTestServer();
    }

    /// <summary>The response body: a page of the product list, as the sample's list endpoint answers it.</summary>
    private sealed record PageBody(List<Product> Items, int Page, int PageSize, int TotalCount, int TotalPages);
}
