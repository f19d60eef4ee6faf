using System.Net;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hotpath.AspNetCore.Tests.RateLimiting;

/// <summary>A test host with Hotpath rate limiting over a given server; the <c>X-Test-Peer</c> header sets the connection's peer address.</summary>
internal static class RateLimitingHost
{
    public const string PeerHeader = "X-Test-Peer";

    public static async Task<WebApplication> StartAsync(
        string redisUrl,
        string keyPrefix,
        Action<RateLimiterOptions> limiter,
        Action<WebApplication>? map = null,
        Action<HotpathRateLimitingOptions>? rateLimiting = null,
        ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddHotpath(configure: o =>
        {
            o.RedisUrl = redisUrl;
            o.KeyPrefix = keyPrefix;
            o.ConnectTimeout = TimeSpan.FromMilliseconds(300);
            o.OperationTimeout = TimeSpan.FromSeconds(10);
        }).AddRateLimiting(rateLimiting);
        builder.Services.AddRateLimiter(limiter);
        var app = builder.Build();
        app.Use((context, next) =>
        {
            if (context.Request.Headers.TryGetValue(PeerHeader, out var peer))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
            }

            return next(context);
        });
        app.UseRateLimiter();
        if (map is null)
        {
            app.MapGet("/", () => "ok").RequireRateLimiting("p");
        }
        else
        {
            map(app);
        }

        await app.StartAsync();
        return app;
    }

    public static Task<WebApplication> StartOnAsync(string server, string testName, Action<RateLimiterOptions> limiter, Action<WebApplication>? map = null, Action<HotpathRateLimitingOptions>? rateLimiting = null) =>
        StartAsync(TestServers.Url(server), TestServers.UniquePrefix(testName), limiter, map, rateLimiting);

    public static async Task<HttpResponseMessage> GetAsync(this HttpClient client, string path, string? peer, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (peer is not null)
        {
            request.Headers.Add(PeerHeader, peer);
        }

        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await client.SendAsync(request);
    }

    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
}
