using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hotpath.Api.Auth;
using Hotpath.Api.Stats;

namespace Hotpath.Api.Tests;

/// <summary>Small helpers over the app's HTTP API, so tests read as the steps a user takes.</summary>
internal static class ApiClient
{
    public const string DemoPassword = "hotpath-demo";
    public const string Alice = "alice@example.com";
    public const string Bob = "bob@example.com";

    public static async Task<StatsSnapshot> StatsAsync(this HttpClient client) =>
        (await client.GetFromJsonAsync<StatsSnapshot>("/api/_stats"))!;

    public static string? CacheHeader(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    /// <summary>Whether the response came whole from the response cache: only its hits carry <c>Age</c>.</summary>
    public static bool FromResponseCache(this HttpResponseMessage response) => response.Headers.Age is not null;

    public static async Task<string> LoginAsync(this HttpClient client, string email, string password = DemoPassword)
    {
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<LoginResponse>())!;
        return body.Token;
    }

    /// <summary>A request carrying a bearer token.</summary>
    public static HttpRequestMessage Authorized(HttpMethod method, string url, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string url, string token, object? body = null)
    {
        using var request = Authorized(method, url, token, body);
        return await client.SendAsync(request);
    }

    /// <summary>Asserts an RFC 9457 problem details response with the status, and returns its JSON.</summary>
    public static async Task<System.Text.Json.JsonElement> AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("title", out _));
        return problem;
    }
}
