using System.Net;
using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.Benchmarks.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotpath.Benchmarks.RateLimiting;

/// <summary>
/// What a global rate limiter costs one admitted request in process: ASP.NET Core's rate limiting
/// middleware in front of a handler that does nothing, with no limiter (the middleware passes the request
/// on), a global limiter that admits everything (<c>RateLimitPartition.GetNoLimiter</c>), the framework's
/// in-memory token bucket per client address, and Hotpath's server-held token bucket admitting locally from
/// leased batches, partitioned as the sample does (<c>HotpathPartitionKeys.UserIdOrClientIp</c>), with its
/// <c>RateLimit</c> headers written when the response starts: as <c>HotpathPartitionedRateLimiter</c> (what
/// the sample uses) and as a <c>RateLimitPartition.GetHotpathTokenBucketLimiter</c> partition inside the
/// framework's <c>PartitionedRateLimiter.Create</c>.
/// </summary>
/// <remarks>
/// Each call builds a fresh <see cref="DefaultHttpContext"/> (the same for every case), runs the pipeline
/// and then the response's start callbacks, as a server would when it sends the headers. Limits are out of
/// reach, so every request is admitted; Hotpath leases a batch of <see cref="BatchSize"/> tokens per script
/// run from <c>HOTPATH_BENCH_REDIS</c>, in the background, and the row includes what those leases cost. The difference between a row and "no limiter"
/// is the limiter's whole cost per request, the middleware's own work included.
/// </remarks>
[MemoryDiagnoser]
[PilotedJob]
public class RateLimitMiddlewareBenchmarks
{
    private const string Policy = "api";
    private const int HugeLimit = int.MaxValue / 2;
    private static readonly IPAddress Client = IPAddress.Parse("203.0.113.9");

    private WebApplication? _none;
    private WebApplication? _noLimiter;
    private WebApplication? _framework;
    private WebApplication? _hotpath;
    private WebApplication? _hotpathPartition;
    private RequestDelegate _nonePipeline = null!;
    private RequestDelegate _noLimiterPipeline = null!;
    private RequestDelegate _frameworkPipeline = null!;
    private RequestDelegate _hotpathPipeline = null!;
    private RequestDelegate _hotpathPartitionPipeline = null!;
    private Endpoint _endpoint = null!;

    /// <summary>
    /// The tokens one lease takes. This loop admits close to a million requests a second on one partition,
    /// about 20 times the sample's rate under wrk; 4000 keeps its leases as far apart in time as the
    /// sample's batch of 200 does there (about one every 2–4 ms), so a lease is never what a request waits for.
    /// </summary>
    [Params(4000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _endpoint = new Endpoint(static _ => Task.CompletedTask, new EndpointMetadataCollection(), "GET /api/products");

        (_none, _nonePipeline) = Build(static _ => { }, rateLimiter: false);
        (_noLimiter, _noLimiterPipeline) = Build(static services => services.AddRateLimiter(static o =>
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(static _ => RateLimitPartition.GetNoLimiter("all"))));
        (_framework, _frameworkPipeline) = Build(static services => services.AddRateLimiter(static o =>
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(static ctx => RateLimitPartition.GetTokenBucketLimiter(
                "ip:" + ctx.Connection.RemoteIpAddress,
                static _ => new TokenBucketRateLimiterOptions { TokenLimit = HugeLimit, TokensPerPeriod = HugeLimit, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0 }))));

        var run = Guid.NewGuid().ToString("N")[..8];
        var batch = BatchSize;
        void Limits(Hotpath.RateLimiting.HotpathTokenBucketRateLimiterOptions b)
        {
            b.TokenLimit = HugeLimit;
            b.TokensPerPeriod = HugeLimit;
            b.ReplenishmentPeriod = TimeSpan.FromSeconds(1);
            b.LocalAdmission.BatchSize = batch;
        }

        (_hotpath, _hotpathPipeline) = Build(services =>
        {
            AddHotpath(services, $"{BenchRedis.KeyPrefix}rlm-{run}:");
            services.AddRateLimiter(o => o.GlobalLimiter = HotpathPartitionedRateLimiter.CreateTokenBucket(Policy, Limits, HotpathPartitionKeys.UserIdOrClientIp));
        });
        (_hotpathPartition, _hotpathPartitionPipeline) = Build(services =>
        {
            AddHotpath(services, $"{BenchRedis.KeyPrefix}rlm-partition-{run}:");
            var bucket = new Hotpath.RateLimiting.HotpathTokenBucketRateLimiterOptions();
            Limits(bucket);
            services.AddRateLimiter(o => o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
                RateLimitPartition.GetHotpathTokenBucketLimiter(ctx, Policy, HotpathPartitionKeys.UserIdOrClientIp(ctx), _ => bucket)));
        });

        // The first requests lease the first batch; from then on the allowance covers every request.
        foreach (var (app, pipeline) in new[] { (_hotpath, _hotpathPipeline), (_hotpathPartition, _hotpathPartitionPipeline) })
        {
            for (var i = 0; i < 3 * BatchSize; i++)
            {
                Send(app!, pipeline).GetAwaiter().GetResult();
            }

            var check = Send(app!, pipeline).GetAwaiter().GetResult();
            if (check.Response.StatusCode != StatusCodes.Status200OK || !check.Response.Headers.ContainsKey("RateLimit"))
            {
                throw new InvalidOperationException($"Hotpath's limiter did not admit with its headers (status {check.Response.StatusCode}).");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var app in new[] { _none, _noLimiter, _framework, _hotpath, _hotpathPartition })
        {
            app?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(Baseline = true, Description = "No limiter")]
    public Task<HttpContext> None() => Send(_none!, _nonePipeline);

    [Benchmark(Description = "Middleware, admit-all limiter")]
    public Task<HttpContext> NoLimiter() => Send(_noLimiter!, _noLimiterPipeline);

    [Benchmark(Description = "Framework token bucket (in memory)")]
    public Task<HttpContext> Framework() => Send(_framework!, _frameworkPipeline);

    [Benchmark(Description = "Hotpath token bucket (leased batches)")]
    public Task<HttpContext> Hotpath() => Send(_hotpath!, _hotpathPipeline);

    [Benchmark(Description = "Hotpath token bucket, as a RateLimitPartition")]
    public Task<HttpContext> HotpathPartition() => Send(_hotpathPartition!, _hotpathPartitionPipeline);

    private static void AddHotpath(IServiceCollection services, string keyPrefix) =>
        services.AddHotpath(configuration: null, configure: o =>
        {
            o.RedisUrl = BenchRedis.Url;
            o.KeyPrefix = keyPrefix;
        }).AddRateLimiting();

    private async Task<HttpContext> Send(WebApplication app, RequestDelegate pipeline)
    {
        var response = new StartableResponseFeature();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseFeature>(response);
        context.RequestServices = app.Services;
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = "/api/products";
        context.Connection.RemoteIpAddress = Client;
        context.SetEndpoint(_endpoint);
        var accessor = app.Services.GetService<IHttpContextAccessor>();
        if (accessor is not null)
        {
            accessor.HttpContext = context;
        }

        await pipeline(context).ConfigureAwait(false);
        await response.StartAsync().ConfigureAwait(false);
        if (accessor is not null)
        {
            accessor.HttpContext = null;
        }

        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            CaseLog.Unexpected(typeof(RateLimitMiddlewareBenchmarks), nameof(Send), $"status {context.Response.StatusCode}");
        }

        return context;
    }

    private static (WebApplication App, RequestDelegate Pipeline) Build(Action<IServiceCollection> services, bool rateLimiter = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        services(builder.Services);
        var app = builder.Build();
        if (rateLimiter)
        {
            app.UseRateLimiter();
        }

        app.Run(static _ => Task.CompletedTask);
        // Starts the connection and the limiters' start-up checks; the test server listens nowhere.
        app.StartAsync().GetAwaiter().GetResult();
        return (app, ((IApplicationBuilder)app).Build());
    }

    /// <summary>A response feature that runs its start callbacks when asked, as a server does before it sends the headers.</summary>
    private sealed class StartableResponseFeature : HttpResponseFeature
    {
        private List<(Func<object, Task> Callback, object State)>? _starting;

        public override void OnStarting(Func<object, Task> callback, object state) => (_starting ??= []).Add((callback, state));

        public async Task StartAsync()
        {
            if (_starting is null)
            {
                return;
            }

            // Last registered runs first, as in Kestrel.
            for (var i = _starting.Count - 1; i >= 0; i--)
            {
                await _starting[i].Callback(_starting[i].State).ConfigureAwait(false);
            }

            HasStartedCore = true;
        }

        public override bool HasStarted => HasStartedCore;

        private bool HasStartedCore { get; set; }
    }
}
