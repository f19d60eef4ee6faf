using System.Data.Common;
using Hotpath.Api.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>
/// Makes the sample's database a few milliseconds away, as it is in production: a query's rows come
/// back a random 0 to <c>maxDelay</c> milliseconds after the database read them. On a local SQLite
/// file a query takes microseconds, which leaves almost no time between a read of the old row and its
/// use for a concurrent write to land in; real latency widens exactly those windows.
/// </summary>
internal sealed class SlowDatabaseReads(int maxDelayMilliseconds, int seed) : DbCommandInterceptor
{
    private readonly Random _random = new(seed);
    private long _delayed;

    public long Delayed => Interlocked.Read(ref _delayed);

    /// <summary>The app of <paramref name="factory"/> with this latency on every query.</summary>
    public WebApplicationFactory<Program> Apply(WebApplicationFactory<Program> factory) =>
        factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<AppDbContext>(options => options.AddInterceptors(this))));

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (command.CommandText.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            int delay;
            lock (_random)
            {
                delay = _random.Next(0, maxDelayMilliseconds + 1);
            }

            Interlocked.Increment(ref _delayed);
            await Task.Delay(delay, cancellationToken);
        }

        return result;
    }
}
