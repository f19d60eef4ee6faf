using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Hotpath.AspNetCore.ResponseCaching;
using Hotpath.AspNetCore.ResponseCaching.Internals;
using Hotpath.Internals;
using Hotpath.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>An application on TestServer with Hotpath's response cache against a real RESP server.</summary>
internal sealed class ResponseCacheTestApp : IAsyncDisposable
{
    public const string TestScheme = "TestUser";
    public const string TestUserHeader = "X-Test-User";

    private ResponseCacheTestApp(WebApplication app, string server, string keyPrefix, CapturingLoggerProvider logs)
    {
        App = app;
        Server = server;
        KeyPrefix = keyPrefix;
        Logs = logs;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    public string Server { get; }

    public string KeyPrefix { get; }

    public CapturingLoggerProvider Logs { get; }

    public HttpClient Client { get; }

    public ICache Cache => App.Services.GetRequiredService<ICache>();

    public ResponseCacheRuntime Runtime => App.Services.GetRequiredService<ResponseCacheRuntime>();

    public static async Task<ResponseCacheTestApp> StartAsync(
        string server,
        Action<WebApplication> pipeline,
        Action<HotpathResponseCacheOptions>? cache = null,
        Action<WebApplicationBuilder>? services = null,
        Action<HotpathOptions>? hotpath = null,
        [CallerMemberName] string test = "")
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        var keyPrefix = TestServers.UniquePrefix(test);
        builder.Services.AddHotpath(configure: o =>
        {
            o.RedisUrl = server is TestServers.Garnet or TestServers.Redis or TestServers.Cluster ? TestServers.Url(server) : server;
            o.KeyPrefix = keyPrefix;
            // Assertions on HIT must not turn into MISS because a loaded test machine was slow once.
            o.OperationTimeout = TimeSpan.FromSeconds(5);
            hotpath?.Invoke(o);
        }).AddResponseCache(cache);
        services?.Invoke(builder);
        var app = builder.Build();
        pipeline(app);
        await app.StartAsync();
        return new ResponseCacheTestApp(app, server, keyPrefix, logs);
    }

    /// <summary>Cookie authentication with a sign-in endpoint at <c>/login/{user}</c>.</summary>
    public static void AddCookieAuthentication(WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddAuthentication("Cookies").AddCookie("Cookies");
    }

    public static void MapLogin(WebApplication app) =>
        app.MapGet("/login/{user}", async (HttpContext context, string user) =>
        {
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], "Cookies");
            await context.SignInAsync("Cookies", new ClaimsPrincipal(identity));
            return "signed in";
        });

    /// <summary>Signs in through <c>/login/{user}</c> and returns the <c>Cookie</c> header value to send.</summary>
    public async Task<string> SignInAsync(string user)
    {
        using var response = await Client.GetAsync($"/login/{Uri.EscapeDataString(user)}");
        response.EnsureSuccessStatusCode();
        var setCookie = response.Headers.GetValues("Set-Cookie").Single();
        return setCookie[..setCookie.IndexOf(';')];
    }

    /// <summary>An authentication scheme that signs in whoever the <c>X-Test-User</c> header names.</summary>
    public static void AddHeaderAuthentication(WebApplicationBuilder builder) =>
        builder.Services.AddAuthentication(TestScheme).AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(TestScheme, null);

    public async Task<HttpResponseMessage> GetAsync(string url, Action<HttpRequestMessage>? configure = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        configure?.Invoke(request);
        return await Client.SendAsync(request);
    }

    public async Task<(string Body, string? CacheStatus)> GetBodyAsync(string url, Action<HttpRequestMessage>? configure = null)
    {
        using var response = await GetAsync(url, configure);
        return (await response.Content.ReadAsStringAsync(), CacheStatus(response));
    }

    public static string? CacheStatus(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    /// <summary>The stored response keys under this app's prefix, without the prefix.</summary>
    public List<string> StoredResponseKeys()
    {
        return TestServers.KeysAsync(Server, KeyPrefix + ResponseCacheKey.StorePrefix + "*").GetAwaiter().GetResult().Select(k => k[KeyPrefix.Length..]).ToList();
    }

    public IDatabase Database => TestServers.Multiplexer(Server).GetDatabase();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var user = Request.Headers[TestUserHeader].ToString();
            if (user.Length == 0)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user), new Claim("sub", "sub-" + user)], TestScheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), TestScheme)));
        }
    }
}
