using System.Net;
using System.Net.Http.Json;
using System.Text;
using Hotpath.Api.Products;

namespace Hotpath.Api.Tests;

public sealed class ValidationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> All => Backends.All;

    /// <summary>Bodies that must be refused, with the field the error must name (null: any).</summary>
    private static readonly (string Body, string? Field)[] s_badProductBodies =
    [
        ("{\"name\": \"Lamp\", \"price\": 3", null),                  // truncated JSON
        ("not json at all", null),
        ("[1, 2, 3]", null),                                          // not an object
        ("{\"name\": 42, \"price\": 3}", "name"),                     // wrong type
        ("{\"name\": \"Lamp\", \"price\": \"cheap\"}", "price"),
        ("{\"name\": \"Lamp\", \"price\": \"3\"}", "price"),          // a number in a string is a wrong type too
        ("{\"name\": \"Lamp\", \"price\": 3, \"isFeatured\": \"yes\"}", "isFeatured"),
        ("{\"price\": 3}", "name"),                                   // missing fields
        ("{\"name\": \"Lamp\"}", "price"),
        ("{}", "name"),
        ("{\"name\": \"\", \"price\": 3}", "name"),                   // out of range
        ("{\"name\": \"   \", \"price\": 3}", "name"),
        ("{\"name\": \"" + new string('x', 201) + "\", \"price\": 3}", "name"),
        ("{\"name\": \"Lamp\", \"price\": -0.01}", "price"),
        ("{\"name\": \"Lamp\", \"price\": 3, \"description\": \"" + new string('d', 2001) + "\"}", "description"),
    ];

    [Theory]
    [MemberData(nameof(All))]
    public async Task BadProductBodiesAre400ProblemDetailsAndWriteNothing(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var original = (await client.GetFromJsonAsync<ProductDto>("/api/products/12"))!;
        var before = await client.StatsAsync();

        foreach (var (body, field) in s_badProductBodies)
        {
            foreach (var (method, url) in new[] { (HttpMethod.Post, "/api/products"), (HttpMethod.Put, "/api/products/12") })
            {
                using var request = ApiClient.Authorized(method, url, admin);
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await client.SendAsync(request);
                var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
                if (field is not null)
                {
                    Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{method} {body[..Math.Min(body.Length, 60)]}: {problem}");
                }
            }
        }

        // Nothing reached the database, and the product is unchanged.
        Assert.Equal(before.DbCommands, (await client.StatsAsync()).DbCommands);
        Assert.Equal(original, await client.GetFromJsonAsync<ProductDto>("/api/products/12"));
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task AMissingBodyOrAWrongContentTypeIsAProblemNotA500(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var admin = await client.LoginAsync(ApiClient.Alice);
        var before = await client.StatsAsync();

        using var empty = ApiClient.Authorized(HttpMethod.Post, "/api/products", admin);
        empty.Content = new StringContent(string.Empty, Encoding.UTF8, "application/json");
        using var emptyResponse = await client.SendAsync(empty);
        await emptyResponse.AssertProblemAsync(HttpStatusCode.BadRequest);

        using var nullBody = ApiClient.Authorized(HttpMethod.Post, "/api/products", admin);
        nullBody.Content = new StringContent("null", Encoding.UTF8, "application/json");
        using var nullResponse = await client.SendAsync(nullBody);
        await nullResponse.AssertProblemAsync(HttpStatusCode.BadRequest);

        using var text = ApiClient.Authorized(HttpMethod.Post, "/api/products", admin);
        text.Content = new StringContent("name=Lamp&price=3", Encoding.UTF8, "text/plain");
        using var textResponse = await client.SendAsync(text);
        await textResponse.AssertProblemAsync(HttpStatusCode.UnsupportedMediaType);

        Assert.Equal(before.DbCommands, (await client.StatsAsync()).DbCommands);
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task BadLoginAndProfileBodiesAre400(string server, string database)
    {
        var app = await fixture.GetAsync(server, database);
        var client = app.CreateClient();
        var bob = await client.LoginAsync(ApiClient.Bob);

        foreach (var (body, field) in new[] { ("{\"email\": \"a@b.c\"}", "password"), ("{\"password\": \"x\"}", "email"), ("{\"email\": 1, \"password\": \"x\"}", "email"), ("{", (string?)null) })
        {
            using var response = await client.PostAsync("/api/auth/login", new StringContent(body, Encoding.UTF8, "application/json"));
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            if (field is not null)
            {
                Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
            }
        }

        foreach (var body in new object[] { new { displayName = "" }, new { displayName = new string('n', 101) }, new { } })
        {
            using var response = await client.SendAsync(HttpMethod.Put, "/api/me", bob, body);
            var problem = await response.AssertProblemAsync(HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("displayName", out _));
        }

        Assert.Equal("Bob", (await (await client.SendAsync(HttpMethod.Get, "/api/me", bob)).Content.ReadFromJsonAsync<Me.Profile>())!.DisplayName);
    }
}
