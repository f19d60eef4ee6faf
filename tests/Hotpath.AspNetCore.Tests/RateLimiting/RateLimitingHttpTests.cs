using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.Tests.RateLimiting;

/// <summary>Runs alone: its hosts would otherwise slow the other suites' servers past their timeouts on a busy machine.</summary>
[CollectionDefinition(nameof(RateLimitingHttpTests), DisableParallelization = true)]
public sealed class RateLimitingHttpCollection;

[Collection(nameof(RateLimitingHttpTests))]
public sealed class RateLimitingHttpTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    /// <summary>Every server, with each way of building a Hotpath global limiter: a partitioned limiter of Hotpath's own, or a partition inside the framework's.</summary>
    public static TheoryData<string, GlobalShape> ServersAndShapes
    {
        get
        {
            var data = new TheoryData<string, GlobalShape>();
            foreach (string server in TestServers.Names)
            {
                data.Add(server, GlobalShape.HotpathLimiter);
                data.Add(server, GlobalShape.FrameworkPartition);
            }

            return data;
        }
    }

    /// <summary>How a test builds its global token bucket.</summary>
    public enum GlobalShape
    {
        /// <summary><c>HotpathPartitionedRateLimiter.CreateTokenBucket</c>.</summary>
        HotpathLimiter,

        /// <summary><c>PartitionedRateLimiter.Create</c> over <c>RateLimitPartition.GetHotpathTokenBucketLimiter</c>.</summary>
        FrameworkPartition,
    }

    /// <summary>A global token bucket named "api" over the requests <paramref name="appliesTo"/> accepts, partitioned by <paramref name="partitionBy"/>.</summary>
    private static PartitionedRateLimiter<HttpContext> GlobalBucket(GlobalShape shape, Func<HttpContext, string> partitionBy, Func<HttpContext, bool> appliesTo, Action<HotpathTokenBucketRateLimiterOptions> limits)
    {
        if (shape == GlobalShape.HotpathLimiter)
        {
            return HotpathPartitionedRateLimiter.CreateTokenBucket("api", limits, partitionBy, appliesTo);
        }

        var options = new HotpathTokenBucketRateLimiterOptions();
        limits(options);
        return PartitionedRateLimiter.Create<HttpContext, string>(ctx => appliesTo(ctx)
            ? RateLimitPartition.GetHotpathTokenBucketLimiter(ctx, "api", partitionBy(ctx), _ => options)
            : RateLimitPartition.GetNoLimiter("none"));
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static int Parameter(string? header, string name)
    {
        var match = Regex.Match(header ?? string.Empty, $";{name}=(\\d+)");
        Assert.True(match.Success, $"No '{name}' parameter in '{header}'.");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARefusalIs429WithRetryAfterAndAllowedResponsesCarryTheRemainingQuota(string server)
    {
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(ARefusalIs429WithRetryAfterAndAllowedResponsesCarryTheRemainingQuota),
            o => o.AddHotpathFixedWindowLimiter("p", l => { l.PermitLimit = 2; l.Window = TimeSpan.FromMinutes(1); }));
        var client = app.GetTestClient();

        using var first = await client.GetAsync("/", "192.0.2.1");
        using var second = await client.GetAsync("/", "192.0.2.1");
        using var third = await client.GetAsync("/", "192.0.2.1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"p\";q=2;w=60", first.Header("RateLimit-Policy"));
        Assert.StartsWith("\"p\";r=1;t=", first.Header("RateLimit"));
        Assert.InRange(Parameter(first.Header("RateLimit"), "t"), 1, 60);
        Assert.Null(first.Header("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.StartsWith("\"p\";r=0;t=", second.Header("RateLimit"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("\"p\";q=2;w=60", third.Header("RateLimit-Policy"));
        Assert.StartsWith("\"p\";r=0;t=", third.Header("RateLimit"));
        Assert.InRange(int.Parse(third.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task UnderLocalAdmissionResponsesKeepTheirHeadersAndOneInstanceAdmitsTheLimit(string server)
    {
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(UnderLocalAdmissionResponsesKeepTheirHeadersAndOneInstanceAdmitsTheLimit),
            o => o.AddHotpathFixedWindowLimiter("p", l => { l.PermitLimit = 20; l.Window = TimeSpan.FromMinutes(1); l.LocalAdmission.BatchSize = 5; }));
        var client = app.GetTestClient();

        for (var i = 1; i <= 20; i++)
        {
            using var admitted = await client.GetAsync("/", "192.0.2.1");
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
            Assert.Equal("\"p\";q=20;w=60", admitted.Header("RateLimit-Policy"));

            // One instance's estimate (the server's count at the last lease plus its own allowance) is exact.
            Assert.Equal(20 - i, Parameter(admitted.Header("RateLimit"), "r"));
            Assert.InRange(Parameter(admitted.Header("RateLimit"), "t"), 1, 60);
        }

        using var refused = await client.GetAsync("/", "192.0.2.1");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("\"p\";q=20;w=60", refused.Header("RateLimit-Policy"));
        Assert.StartsWith("\"p\";r=0;t=", refused.Header("RateLimit"));
        Assert.InRange(int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TwoInstancesShareOneQuota(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(TwoInstancesShareOneQuota));
        void Limits(RateLimiterOptions o) => o.AddHotpathSlidingWindowLimiter("p", l => l.PermitLimit = 2);
        await using var one = await RateLimitingHost.StartAsync(TestServers.Url(server), prefix, Limits);
        await using var two = await RateLimitingHost.StartAsync(TestServers.Url(server), prefix, Limits);

        using var a = await one.GetTestClient().GetAsync("/", "192.0.2.1");
        using var b = await two.GetTestClient().GetAsync("/", "192.0.2.1");
        using var c = await one.GetTestClient().GetAsync("/", "192.0.2.1");
        using var d = await two.GetTestClient().GetAsync("/", "192.0.2.2");

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, c.StatusCode);
        Assert.Equal(HttpStatusCode.OK, d.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ASpoofedForwardedForBuysNoNewQuotaWithoutTrustedProxies(string server)
    {
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(ASpoofedForwardedForBuysNoNewQuotaWithoutTrustedProxies),
            o => o.AddHotpathFixedWindowLimiter("p", l => l.PermitLimit = 1));
        var client = app.GetTestClient();

        using var first = await client.GetAsync("/", "10.0.0.1");
        using var spoofed = await client.GetAsync("/", "10.0.0.1", forwardedFor: "198.51.100.7");
        using var spoofedAgain = await client.GetAsync("/", "10.0.0.1", forwardedFor: "198.51.100.8");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, spoofed.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, spoofedAgain.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task BehindATrustedProxyEachForwardedClientHasItsOwnQuota(string server)
    {
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(BehindATrustedProxyEachForwardedClientHasItsOwnQuota),
            o => o.AddHotpathFixedWindowLimiter("p", l => l.PermitLimit = 1),
            rateLimiting: o => o.TrustedProxies.Add("10.0.0.0/8"));
        var client = app.GetTestClient();

        using var alice = await client.GetAsync("/", "10.0.0.1", forwardedFor: "198.51.100.7");
        using var aliceAgain = await client.GetAsync("/", "10.0.0.2", forwardedFor: "198.51.100.7");
        using var alicePrepending = await client.GetAsync("/", "10.0.0.1", forwardedFor: "203.0.113.99, 198.51.100.7");
        using var aliceThroughTwoProxies = await client.GetAsync("/", "10.0.0.1", forwardedFor: "198.51.100.7, 10.9.9.9");
        using var bob = await client.GetAsync("/", "10.0.0.1", forwardedFor: "198.51.100.8");
        using var direct = await client.GetAsync("/", "203.0.113.5", forwardedFor: "198.51.100.20");
        using var directSpoofing = await client.GetAsync("/", "203.0.113.5", forwardedFor: "198.51.100.21");

        Assert.Equal(HttpStatusCode.OK, alice.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, aliceAgain.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, alicePrepending.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, aliceThroughTwoProxies.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, directSpoofing.StatusCode);
    }

    [Fact]
    public async Task AnUnreachableServerIs503ForAFailClosedPolicyAndCountedLocallyForAFailOpenOne()
    {
        var logs = new CapturingLoggerProvider();
        await using var app = await RateLimitingHost.StartAsync($"redis://127.0.0.1:{ClosedPort()}", TestServers.UniquePrefix(nameof(AnUnreachableServerIs503ForAFailClosedPolicyAndCountedLocallyForAFailOpenOne)),
            o =>
            {
                o.AddHotpathFixedWindowLimiter("closed", l => { l.PermitLimit = 5; l.FailureMode = RateLimiterFailureMode.FailClosed; });
                o.AddHotpathTokenBucketLimiter("open", l => { l.TokenLimit = 2; l.TokensPerPeriod = 1; l.ReplenishmentPeriod = TimeSpan.FromHours(1); });
            },
            app =>
            {
                app.MapGet("/closed", () => "ok").RequireRateLimiting("closed");
                app.MapGet("/open", () => "ok").RequireRateLimiting("open");
            },
            logs: logs);
        var client = app.GetTestClient();

        using var closed = await client.GetAsync("/closed", "192.0.2.1");
        var open = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync("/open", "192.0.2.1");
            open.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, closed.StatusCode);
        Assert.Equal("5", closed.Header("Retry-After"));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], open);
        Assert.Equal(1, logs.Records.Count(r => r.EventId.Id == 3000));
    }

    public static TheoryData<string, int> ServersAndBatches
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (string server in TestServers.Names)
            {
                data.Add(server, 0);
                data.Add(server, 2);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ServersAndBatches))]
    public async Task AHotpathGlobalLimiterKeepsAtMostMaxPartitionsAndADroppedPartitionKeepsItsCountOnTheServer(string server, int batch)
    {
        PartitionedRateLimiter<HttpContext>? limiter = null;
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(AHotpathGlobalLimiterKeepsAtMostMaxPartitionsAndADroppedPartitionKeepsItsCountOnTheServer) + batch,
            o => o.GlobalLimiter = limiter = HotpathPartitionedRateLimiter.CreateTokenBucket("api", b =>
            {
                b.TokenLimit = 3;
                b.TokensPerPeriod = 1;
                b.ReplenishmentPeriod = TimeSpan.FromHours(1);
                b.LocalAdmission.BatchSize = batch;
                b.LocalAdmission.MaxPartitions = 10;
            }),
            static app => app.MapGet("/", () => "ok"));
        var client = app.GetTestClient();

        for (var i = 0; i < 3; i++)
        {
            using var spent = await client.GetAsync("/", "192.0.2.1");
            Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        }

        // 60 other clients, two requests each, 20 at a time, push the first one out of the map; a client
        // often comes back while its partition is being dropped, or just after.
        var others = Enumerable.Range(2, 60).Select(i => $"192.0.2.{i}").SelectMany(peer => new[] { peer, peer })
            .OrderBy(peer => peer.GetHashCode(StringComparison.Ordinal) ^ Random.Shared.Next(4)).ToArray();
        await Parallel.ForEachAsync(others, new ParallelOptions { MaxDegreeOfParallelism = 20 }, async (peer, _) =>
        {
            using var response = await client.GetAsync("/", peer);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        var partitions = ((Hotpath.AspNetCore.RateLimiting.Internals.HotpathRequestRateLimiter)limiter!).Partitions;
        using var again = await client.GetAsync("/", "192.0.2.1");

        Assert.Equal(10, partitions.Capacity);
        Assert.InRange(partitions.Held, 1, 10);
        Assert.True(partitions.Dropped >= 51, $"{partitions.Dropped} partitions dropped");
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        Assert.StartsWith("\"api\";r=0;t=", again.Header("RateLimit"));
    }

    [Fact]
    public async Task AHotpathGlobalLimiterWithTheCacheDisabledStillLimitsInProcess()
    {
        await using var app = await RateLimitingHost.StartAsync("none", "",
            o => o.GlobalLimiter = HotpathPartitionedRateLimiter.CreateFixedWindow("p", static l => l.PermitLimit = 1),
            static app => app.MapGet("/", () => "ok"));
        var client = app.GetTestClient();

        using var first = await client.GetAsync("/", "192.0.2.1");
        using var second = await client.GetAsync("/", "192.0.2.1");
        using var other = await client.GetAsync("/", "192.0.2.2");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.StartsWith("\"p\";r=0;t=", second.Header("RateLimit"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public void AHotpathGlobalLimiterWithALimitOutOfRangeThrowsNamingTheSetting()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => HotpathPartitionedRateLimiter.CreateTokenBucket("api", static b => b.TokenLimit = 0));
        Assert.Contains("TokenLimit", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => HotpathPartitionedRateLimiter.CreateFixedWindow(" ", static _ => { }));
    }

    [Fact]
    public async Task ADisabledCacheStillLimitsInProcess()
    {
        await using var app = await RateLimitingHost.StartAsync("none", "", o => o.AddHotpathFixedWindowLimiter("p", l => l.PermitLimit = 1));
        var client = app.GetTestClient();

        using var first = await client.GetAsync("/", "192.0.2.1");
        using var second = await client.GetAsync("/", "192.0.2.1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.StartsWith("\"p\";r=0;t=", second.Header("RateLimit"));
    }

    [Theory]
    [MemberData(nameof(ServersAndShapes))]
    public async Task PartitionsInAGlobalLimiterAndAnEndpointPolicyBothShowInTheHeaders(string server, GlobalShape shape)
    {
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(PartitionsInAGlobalLimiterAndAnEndpointPolicyBothShowInTheHeaders) + shape,
            o =>
            {
                o.GlobalLimiter = GlobalBucket(shape, HotpathPartitionKeys.UserIdOrClientIp, static ctx => ctx.Request.Path.StartsWithSegments("/api"), static b =>
                {
                    b.TokenLimit = 3;
                    b.TokensPerPeriod = 1;
                    b.ReplenishmentPeriod = TimeSpan.FromMinutes(1);
                });
                o.AddPolicy("login", ctx => RateLimitPartition.GetHotpathFixedWindowLimiter(ctx, "login", HotpathPartitionKeys.ClientIp(ctx), _ => new() { PermitLimit = 2 }));
            },
            app =>
            {
                app.MapGet("/api/products", () => "ok");
                app.MapPost("/api/login", () => "ok").RequireRateLimiting("login");
                app.MapGet("/other", () => "ok");
            });
        var client = app.GetTestClient();

        using var products = await client.GetAsync("/api/products", "192.0.2.1");
        using var login = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/login") { Headers = { { RateLimitingHost.PeerHeader, "192.0.2.1" } } });
        using var last = await client.GetAsync("/api/products", "192.0.2.1");
        using var refused = await client.GetAsync("/api/products", "192.0.2.1");
        using var other = await client.GetAsync("/other", "192.0.2.1");

        Assert.Equal(HttpStatusCode.OK, products.StatusCode);
        Assert.Equal("\"api\";q=3;w=180", products.Header("RateLimit-Policy"));
        Assert.Equal("\"api\";q=3;w=180, \"login\";q=2;w=60", login.Header("RateLimit-Policy"));
        Assert.Matches("^\"api\";r=1;t=\\d+, \"login\";r=1;t=\\d+$", login.Header("RateLimit"));
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Null(other.Header("RateLimit"));
    }

    [Theory]
    [MemberData(nameof(ServersAndShapes))]
    public async Task AGlobalBucketAdmittingLocallyChargesARequestOnceWhetherOrNotItsEndpointHasAPolicyOfItsOwn(string server, GlobalShape shape)
    {
        // The middleware tries the global limiter synchronously, then the endpoint's policy; when that try
        // does not acquire, it drops the global lease and acquires both again. A global bucket that admitted
        // in the try would then be charged twice for every request to /api/login.
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(AGlobalBucketAdmittingLocallyChargesARequestOnceWhetherOrNotItsEndpointHasAPolicyOfItsOwn) + shape,
            o =>
            {
                o.GlobalLimiter = GlobalBucket(shape, HotpathPartitionKeys.ClientIp, static _ => true, static b =>
                {
                    b.TokenLimit = 40;
                    b.TokensPerPeriod = 1;
                    b.ReplenishmentPeriod = TimeSpan.FromHours(1);
                    b.LocalAdmission.BatchSize = 10;
                });
                o.AddPolicy("login", ctx => RateLimitPartition.GetHotpathFixedWindowLimiter(ctx, "login", HotpathPartitionKeys.ClientIp(ctx), _ => new() { PermitLimit = 1000 }));
            },
            app =>
            {
                app.MapGet("/api/products", () => "ok");
                app.MapPost("/api/login", () => "ok").RequireRateLimiting("login");
            });
        var client = app.GetTestClient();

        var admitted = 0;
        for (var i = 0; i < 60; i++)
        {
            using var request = new HttpRequestMessage(i % 2 == 0 ? HttpMethod.Get : HttpMethod.Post, i % 2 == 0 ? "/api/products" : "/api/login");
            request.Headers.Add(RateLimitingHost.PeerHeader, "192.0.2.7");
            using var response = await client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                admitted++;
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            }
        }

        // One instance uses every token it leased: the bucket's 40, each request charged once.
        Assert.Equal(40, admitted);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task EnableRateLimitingMetadataAppliesAHotpathPolicyAndTheApplicationsOnRejectedStillRuns(string server)
    {
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(EnableRateLimitingMetadataAppliesAHotpathPolicyAndTheApplicationsOnRejectedStillRuns),
            o =>
            {
                o.AddHotpathFixedWindowLimiter("p", l => l.PermitLimit = 1, ctx => ctx.Request.Query["tenant"]);
                o.OnRejected = (context, ct) => new ValueTask(context.HttpContext.Response.WriteAsync("slow down", ct));
            },
            app => app.MapGet("/", () => "ok").WithMetadata(new EnableRateLimitingAttribute("p")));
        var client = app.GetTestClient();

        using var first = await client.GetAsync("/?tenant=a", null);
        using var second = await client.GetAsync("/?tenant=a", null);
        using var otherTenant = await client.GetAsync("/?tenant=b", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("slow down", await second.Content.ReadAsStringAsync());
        Assert.NotNull(second.Header("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, otherTenant.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ALoginLimitedPerEmailAndAddressInTheHandlerAndPerAddressByPolicy(string server)
    {
        PartitionedRateLimiter<string>? perAccount = null;
        await using var app = await RateLimitingHost.StartOnAsync(server, nameof(ALoginLimitedPerEmailAndAddressInTheHandlerAndPerAddressByPolicy),
            o => o.AddHotpathFixedWindowLimiter("login-ip", l => { l.PermitLimit = 4; l.Window = TimeSpan.FromMinutes(1); }),
            app =>
            {
                perAccount = app.Services.GetRequiredService<HotpathRateLimiterFactory>()
                    .CreatePartitionedFixedWindowLimiter("login", new() { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) });
                app.MapPost("/login", async (HttpContext ctx, string email) =>
                {
                    using var lease = await perAccount.AcquireAsync(Hotpath.CacheKey.Join(email, HotpathPartitionKeys.ClientIp(ctx)), 1, ctx.RequestAborted);
                    return lease.IsAcquired ? Results.Ok() : Results.StatusCode(StatusCodes.Status429TooManyRequests);
                }).RequireRateLimiting("login-ip");
            });
        var client = app.GetTestClient();

        async Task<HttpResponseMessage> Login(string email) =>
            await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/login?email={Uri.EscapeDataString(email)}") { Headers = { { RateLimitingHost.PeerHeader, "192.0.2.1" } } });

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refusedForAccount = null;
        foreach (var email in new[] { "alice@example.com", "alice@example.com", "alice@example.com", "bob@example.com", "carol@example.com" })
        {
            var response = await Login(email);
            statuses.Add(response.StatusCode);
            if (statuses.Count == 3)
            {
                refusedForAccount = response;
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.NotNull(refusedForAccount);
        Assert.NotNull(refusedForAccount.Header("Retry-After"));
        Assert.Equal("\"login-ip\";q=4;w=60, \"login\";q=2;w=60", refusedForAccount.Header("RateLimit-Policy"));
        perAccount!.Dispose();
    }

    [Fact]
    public async Task AnInvalidTrustedProxyFailsStartUpNamingTheSetting()
    {
        var ex = await Assert.ThrowsAsync<HotpathConfigurationException>(() => RateLimitingHost.StartAsync("none", "",
            o => o.AddHotpathFixedWindowLimiter("p", l => l.PermitLimit = 1),
            rateLimiting: o => o.TrustedProxies.Add("proxy.internal")));

        Assert.Contains("Hotpath:RateLimiting:TrustedProxies", ex.Message);
    }
}
