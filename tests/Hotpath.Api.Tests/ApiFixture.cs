using System.Collections.Concurrent;

namespace Hotpath.Api.Tests;

/// <summary>
/// One app per (cache server, database) pair for a test class, started on first use and shared by that
/// class's tests (which run one at a time); each pair has its own database and key prefix.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<(string Server, string Database), Lazy<Task<ApiFactory>>> _apps = new();

    internal Task<ApiFactory> GetAsync(string server, string database) =>
        _apps.GetOrAdd((server, database), static key => new Lazy<Task<ApiFactory>>(async () =>
        {
            var db = await TestDatabase.CreateAsync(key.Database);
            var app = ApiFactory.ForServer(key.Server, db);
            _ = app.Server; // start it: create and seed the database now
            return app;
        })).Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var app in _apps.Values.Where(a => a.IsValueCreated))
        {
            var factory = await app.Value;
            await factory.DisposeAsync();
            await factory.Database.DisposeAsync();
        }
    }
}
