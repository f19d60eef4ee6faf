using Hotpath.Internals;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Hotpath.AspNetCore.Idempotency;
using Hotpath.AspNetCore.Idempotency.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Hotpath.AspNetCore.Tests;

/// <summary>Idempotency-Key handling through TestServer, against every RESP server the suite has.</summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class IdempotencyTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    public sealed record ProductInput(string Name, decimal Price);

    /// <summary>The test app: a products POST that counts its runs, users taken from an <c>X-User</c> header.</summary>
    private sealed class App : IAsyncDisposable
    {
        private int _runs;

        public required WebApplication Web { get; init; }

        public required string Prefix { get; init; }

        public required CapturingLoggerProvider Logs { get; init; }

        public int Runs => Volatile.Read(ref _runs);

        public HttpClient Client => Web.GetTestClient();

        public Func<int, Task<IResult>>? Handler { get; set; }

        /// <summary>
        /// Makes the handler stop inside its run until the returned gate opens; <c>Entered</c> completes
        /// once a run is inside. The run then answers 201 Created.
        /// </summary>
        public (TaskCompletionSource Entered, TaskCompletionSource Gate) PauseHandler()
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Handler = async run =>
            {
                entered.TrySetResult();
                await gate.Task;
                return Results.Created($"/api/products/{run}", new { id = run });
            };
            return (entered, gate);
        }

        public static async Task<App> StartAsync(string server, string name, Action<IdempotencyOptions>? configure = null, bool useMiddleware = true, string? redisUrl = null)
        {
            var prefix = TestServers.UniquePrefix(name);
            var logs = new CapturingLoggerProvider();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseTestServer();
            builder.Logging.ClearProviders().AddProvider(logs);
            builder.Services.AddHotpath(configure: o =>
            {
                o.RedisUrl = redisUrl ?? TestServers.Url(server);
                o.KeyPrefix = prefix;
                if (redisUrl is null)
                {
                    // A reachable server must not look unreachable because a loaded machine was slow once.
                    o.OperationTimeout = TestServers.OperationTimeout;
                }
            }).AddIdempotency(configure);
            builder.Services.AddControllers().AddApplicationPart(typeof(IdempotentOrdersController).Assembly);
            builder.Services.AddSingleton<OrderCounter>();
            var web = builder.Build();
            var app = new App { Web = web, Prefix = prefix, Logs = logs };
            web.Use((context, next) =>
            {
                if (context.Request.Headers.TryGetValue("X-User", out var user))
                {
                    context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.ToString())], "test"));
                }

                return next(context);
            });
            if (useMiddleware)
            {
                web.UseIdempotency();
            }

            web.MapPost("/api/products", async (ProductInput input) =>
            {
                var run = Interlocked.Increment(ref app._runs);
                if (app.Handler is { } handler)
                {
                    return await handler(run);
                }

                return Results.Created($"/api/products/{run}", new { id = run, input.Name, input.Price });
            }).RequireIdempotency();
            web.MapGet("/api/products", () => Interlocked.Increment(ref app._runs)).RequireIdempotency();
            web.MapPost("/api/large", () =>
            {
                Interlocked.Increment(ref app._runs);
                return Results.Text(new string('x', 100));
            }).RequireIdempotency();
            web.MapControllers();
            await web.StartAsync();
            return app;
        }

        public async Task<HttpResponseMessage> PostAsync(string? key, object body, string? user = null, string path = "/api/products", bool quoted = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", quoted ? $"\"{key}\"" : key);
            }

            if (user is not null)
            {
                request.Headers.Add("X-User", user);
            }

            return await Client.SendAsync(request);
        }

        public async Task<List<string>> KeysAsync(string server)
        {
            // The cache's generation key is created as soon as a cache exists; it is not idempotency state.
            return (await TestServers.KeysAsync(server, Prefix + "*")).Select(k => k[Prefix.Length..]).Where(k => k != HotpathCache.GenerationKey).ToList();
        }

        public async ValueTask DisposeAsync() => await Web.DisposeAsync();
    }

    private static readonly ProductInput Kettle = new("Kettle", 19.99m);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheFirstRequestRunsAndARetryReplaysItsResponse(string server)
    {
        await using var app = await App.StartAsync(server, nameof(TheFirstRequestRunsAndARetryReplaysItsResponse));

        var first = await app.PostAsync("8e03978e-40d5-43e8-bc93-6894a57f9324", Kettle);
        var retry = await app.PostAsync("8e03978e-40d5-43e8-bc93-6894a57f9324", Kettle);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(first.Content.Headers.ContentType, retry.Content.Headers.ContentType);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, app.Runs);
        Assert.Equal("{\"id\":1,\"name\":\"Kettle\",\"price\":19.99}", await retry.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheSameKeyWithADifferentRequestIs422(string server)
    {
        await using var app = await App.StartAsync(server, nameof(TheSameKeyWithADifferentRequestIs422));

        await app.PostAsync("k-1", Kettle);
        var otherBody = await app.PostAsync("k-1", Kettle with { Price = 1m });
        var otherPath = await app.PostAsync("k-1", Kettle, path: "/api/large");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherBody.StatusCode);
        Assert.Equal("application/problem+json", otherBody.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Idempotency-Key reused", await otherBody.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherPath.StatusCode);
        Assert.Equal(1, app.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARetryWhileTheFirstStillRunsIs409ThenReplaysOnceItCompletes(string server)
    {
        await using var app = await App.StartAsync(server, nameof(ARetryWhileTheFirstStillRunsIs409ThenReplaysOnceItCompletes));
        var (entered, gate) = app.PauseHandler();

        var first = app.PostAsync("slow", Kettle);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var duplicate = await app.PostAsync("slow", Kettle);
        gate.SetResult();
        var completed = await first;
        var retry = await app.PostAsync("slow", Kettle);

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("application/problem+json", duplicate.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, app.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task KeysAreScopedPerUserSoTheSameKeyFromTwoUsersRunsTwice(string server)
    {
        await using var app = await App.StartAsync(server, nameof(KeysAreScopedPerUserSoTheSameKeyFromTwoUsersRunsTwice));

        var alice = await app.PostAsync("order-1", Kettle, user: "alice");
        var bob = await app.PostAsync("order-1", Kettle, user: "bob:evil*");
        var anonymous = await app.PostAsync("order-1", Kettle);
        var aliceAgain = await app.PostAsync("order-1", Kettle, user: "alice");

        Assert.Equal(3, app.Runs);
        Assert.NotEqual(await alice.Content.ReadAsStringAsync(), await bob.Content.ReadAsStringAsync());
        Assert.Equal(await alice.Content.ReadAsStringAsync(), await aliceAgain.Content.ReadAsStringAsync());
        Assert.False(anonymous.Headers.Contains("Idempotent-Replayed"));
        Assert.True(aliceAgain.Headers.Contains("Idempotent-Replayed"));
        var keys = await app.KeysAsync(server);
        Assert.Equal(
            ["_hotpath:idem:anonymous:order-1", "_hotpath:idem:user:alice:order-1", "_hotpath:idem:user:bob%3Aevil%2A:order-1"],
            keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AQuotedStructuredFieldKeyIsTheSameKeyAsItsBareForm(string server)
    {
        await using var app = await App.StartAsync(server, nameof(AQuotedStructuredFieldKeyIsTheSameKeyAsItsBareForm));

        await app.PostAsync("abc-1", Kettle, quoted: true);
        var bare = await app.PostAsync("abc-1", Kettle);

        Assert.True(bare.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, app.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AMissingKeyRunsTheRequestUnlessTheHeaderIsRequired(string server)
    {
        await using var optional = await App.StartAsync(server, nameof(AMissingKeyRunsTheRequestUnlessTheHeaderIsRequired));
        await using var required = await App.StartAsync(server, nameof(AMissingKeyRunsTheRequestUnlessTheHeaderIsRequired), o => o.RequireHeader = true);

        await optional.PostAsync(null, Kettle);
        await optional.PostAsync(null, Kettle);
        var refused = await required.PostAsync(null, Kettle);

        Assert.Equal(2, optional.Runs);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, required.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AMalformedKeyOrAnOversizedBodyIsRefused(string server)
    {
        await using var app = await App.StartAsync(server, nameof(AMalformedKeyOrAnOversizedBodyIsRefused), o => o.MaxRequestBodySize = 64);

        var tooLong = await app.PostAsync(new string('k', 256), Kettle);
        var unterminated = await app.PostAsync("\"abc", Kettle);
        using var twice = new HttpRequestMessage(HttpMethod.Post, "/api/products") { Content = JsonContent.Create(Kettle) };
        twice.Headers.TryAddWithoutValidation("Idempotency-Key", ["a", "b"]);
        var twiceResponse = await app.Client.SendAsync(twice);
        var large = await app.PostAsync("big", Kettle with { Name = new string('n', 100) });

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unterminated.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, twiceResponse.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal(0, app.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AServerErrorOrAnExceptionFreesTheKeySoARetryRunsAgain(string server)
    {
        await using var app = await App.StartAsync(server, nameof(AServerErrorOrAnExceptionFreesTheKeySoARetryRunsAgain));
        app.Handler = run => run switch
        {
            1 => Task.FromResult(Results.StatusCode(503)),
            2 => throw new InvalidOperationException("database went away"),
            _ => Task.FromResult<IResult>(Results.Created($"/api/products/{run}", new { id = run })),
        };

        var unavailable = await app.PostAsync("retry-me", Kettle);
        await Assert.ThrowsAsync<InvalidOperationException>(() => app.PostAsync("retry-me", Kettle));
        var created = await app.PostAsync("retry-me", Kettle);
        var replay = await app.PostAsync("retry-me", Kettle);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(3, app.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TheMarkerOfACrashedRequestExpiresSoARetryIsNotBlockedForever(string server)
    {
        await using var app = await App.StartAsync(server, nameof(TheMarkerOfACrashedRequestExpiresSoARetryIsNotBlockedForever));
        var body = JsonContent.Create(Kettle);
        var bytes = await body.ReadAsByteArrayAsync();

        // The marker another instance left when it died mid-request: same request, never renewed again.
        var fingerprint = SHA256.HashData([.. Encoding.UTF8.GetBytes("POST\n/api/products\n"), .. bytes]);
        var store = new IdempotencyStore(TestServers.Multiplexer(server).GetDatabase().WithKeyPrefix(app.Prefix));
        Assert.Null(await store.BeginAsync(IdempotencyStore.Key(null, "crash"), IdempotencyRecord.InProgress(fingerprint), TimeSpan.FromSeconds(2), CancellationToken.None));

        var blocked = await app.PostAsync("crash", Kettle);
        HttpResponseMessage? after = null;
        var ran = await Eventually.TrueAsync(async () => (after = await app.PostAsync("crash", Kettle)).StatusCode == HttpStatusCode.Created);

        Assert.Equal(HttpStatusCode.Conflict, blocked.StatusCode);
        Assert.True(ran);
        Assert.Equal(1, app.Runs);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARunningRequestKeepsItsMarkerPastTheLease(string server)
    {
        // Long enough that a stalled thread pool on a loaded machine cannot outlast a whole lease.
        var lease = TimeSpan.FromSeconds(2);
        await using var app = await App.StartAsync(server, nameof(ARunningRequestKeepsItsMarkerPastTheLease), o => o.InProgressLease = lease);
        var (entered, gate) = app.PauseHandler();

        var first = app.PostAsync("long", Kettle);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var duplicates = new List<HttpStatusCode>();
        var until = DateTime.UtcNow + (lease * 2);
        while (DateTime.UtcNow < until)
        {
            duplicates.Add((await app.PostAsync("long", Kettle)).StatusCode);
            await Task.Delay(100);
        }

        gate.SetResult();
        await first;

        Assert.All(duplicates, status => Assert.Equal(HttpStatusCode.Conflict, status));
        Assert.Equal(1, app.Runs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnUnreachableServerRunsTheRequestOrRefusesItAsConfigured(bool reject)
    {
        int closedPort;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var app = await App.StartAsync(TestServers.Garnet, nameof(AnUnreachableServerRunsTheRequestOrRefusesItAsConfigured), o => o.RejectWhenUnavailable = reject, redisUrl: $"redis://127.0.0.1:{closedPort}");

        var response = await app.PostAsync("k", Kettle);

        Assert.Equal(reject ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(reject ? 0 : 1, app.Runs);
        Assert.Single(app.Logs.Records, r => r.EventId.Id == 4043);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AResponseOverTheLimitIsSentWholeAndReplayedWithoutItsBody(string server)
    {
        await using var app = await App.StartAsync(server, nameof(AResponseOverTheLimitIsSentWholeAndReplayedWithoutItsBody), o => o.MaxResponseBodySize = 10);

        var first = await app.PostAsync("large", Kettle, path: "/api/large");
        var retry = await app.PostAsync("large", Kettle, path: "/api/large");

        Assert.Equal(100, (await first.Content.ReadAsStringAsync()).Length);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(first.Content.Headers.ContentType, retry.Content.Headers.ContentType);
        Assert.Equal(string.Empty, await retry.Content.ReadAsStringAsync());
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, app.Runs);
        Assert.Single(app.Logs.Records, r => r.EventId.Id == 4041);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task SafeMethodsAreNotTouched(string server)
    {
        await using var app = await App.StartAsync(server, nameof(SafeMethodsAreNotTouched));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        request.Headers.Add("Idempotency-Key", "g");
        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        again.Headers.Add("Idempotency-Key", "g");

        await app.Client.SendAsync(request);
        await app.Client.SendAsync(again);

        Assert.Equal(2, app.Runs);
        Assert.Empty(await app.KeysAsync(server));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnMvcActionWithTheAttributeReplays(string server)
    {
        await using var app = await App.StartAsync(server, nameof(AnMvcActionWithTheAttributeReplays));

        var first = await app.PostAsync("mvc-1", Kettle, path: "/mvc/orders");
        var retry = await app.PostAsync("mvc-1", Kettle, path: "/mvc/orders");
        var mismatch = await app.PostAsync("mvc-1", Kettle with { Name = "Mug" }, path: "/mvc/orders");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mismatch.StatusCode);
        Assert.Equal(1, app.Web.Services.GetRequiredService<OrderCounter>().Count);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ACookieTheFirstResponseSetIsNeitherStoredNorReplayed(string server)
    {
        await using var app = await App.StartAsync(server, nameof(ACookieTheFirstResponseSetIsNeitherStoredNorReplayed));
        app.Handler = run => Task.FromResult<IResult>(new WithCookie("session=cookie-secret-1", Results.Created($"/api/products/{run}", new { id = run })));

        var first = await app.PostAsync("cookie", Kettle);
        var retry = await app.PostAsync("cookie", Kettle);

        Assert.Contains(first.Headers.GetValues("Set-Cookie"), v => v.Contains("cookie-secret-1", StringComparison.Ordinal));
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.False(retry.Headers.Contains("Set-Cookie"), "a replay handed the first caller's cookie to the retry");
        var record = await TestServers.Multiplexer(server).GetDatabase().StringGetAsync(app.Prefix + IdempotencyStore.Key(null, "cookie"));
        Assert.True(record.HasValue);
        Assert.DoesNotContain("cookie-secret", Encoding.UTF8.GetString((byte[])record!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoLogLineCarriesTheKeyTheUserOrTheBody()
    {
        int closedPort;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var down = await App.StartAsync(TestServers.Garnet, nameof(NoLogLineCarriesTheKeyTheUserOrTheBody), redisUrl: $"redis://127.0.0.1:{closedPort}");
        await using var up = await App.StartAsync(TestServers.Garnet, nameof(NoLogLineCarriesTheKeyTheUserOrTheBody), o => o.MaxResponseBodySize = 10);

        await down.PostAsync("key-secret-1", Kettle with { Name = "body-secret" }, user: "user-secret-id");
        await up.PostAsync("key-secret-2", Kettle with { Name = "body-secret" }, user: "user-secret-id", path: "/api/large");

        var records = down.Logs.Records.Concat(up.Logs.Records).Where(r => r.Category.StartsWith("Hotpath", StringComparison.Ordinal)).ToList();
        Assert.Contains(records, r => r.EventId.Id == 4043);
        Assert.Contains(records, r => r.EventId.Id == 4041);
        foreach (var record in records)
        {
            foreach (var secret in new[] { "key-secret", "user-secret-id", "body-secret" })
            {
                Assert.DoesNotContain(secret, record.Message, StringComparison.Ordinal);
                for (var ex = record.Exception; ex is not null; ex = ex.InnerException)
                {
                    Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
                    foreach (System.Collections.DictionaryEntry entry in ex.Data)
                    {
                        Assert.DoesNotContain(secret, $"{entry.Key}={entry.Value}", StringComparison.Ordinal);
                    }
                }
            }
        }
    }

    private sealed class WithCookie(string cookie, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Append("Set-Cookie", cookie);
            return inner.ExecuteAsync(httpContext);
        }
    }

    [Fact]
    public async Task WithoutUseIdempotencyAMarkedEndpointFailsLoudly()
    {
        await using var app = await App.StartAsync(TestServers.Garnet, nameof(WithoutUseIdempotencyAMarkedEndpointFailsLoudly), useMiddleware: false);

        var minimal = await Assert.ThrowsAsync<InvalidOperationException>(() => app.PostAsync("k", Kettle));
        var mvc = await Assert.ThrowsAsync<InvalidOperationException>(() => app.PostAsync("k", Kettle, path: "/mvc/orders"));

        Assert.Contains("UseIdempotency", minimal.Message);
        Assert.Contains("UseIdempotency", mvc.Message);
        Assert.Equal(0, app.Runs);
    }

    [Fact]
    public async Task WithTheCacheDisabledRequestsPassThroughAndThatIsLoggedOnce()
    {
        await using var app = await App.StartAsync(TestServers.Garnet, nameof(WithTheCacheDisabledRequestsPassThroughAndThatIsLoggedOnce), redisUrl: "none");

        var first = await app.PostAsync("k", Kettle);
        var second = await app.PostAsync("k", Kettle);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, app.Runs);
        Assert.Single(app.Logs.Records, r => r.EventId.Id == 4040);
    }
}

public sealed class OrderCounter
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public int Next() => Interlocked.Increment(ref _count);
}

[ApiController]
[Route("mvc/orders")]
public sealed class IdempotentOrdersController(OrderCounter counter) : ControllerBase
{
    [HttpPost]
    [Idempotent]
    public IActionResult Create(IdempotencyTests.ProductInput input)
    {
        var id = counter.Next();
        return Created($"/mvc/orders/{id}", new { id, input.Name });
    }
}
