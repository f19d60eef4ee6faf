using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Products;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>
/// How long a workload runs: at least <see cref="MinDuration"/> and until <see cref="MinOperations"/>
/// operations have succeeded (reads answered, writes completed), and never past <see cref="MaxDuration"/>
/// or <see cref="MaxOperations"/> successful operations, whichever comes first.
/// </summary>
internal sealed record WorkloadLimits(TimeSpan MinDuration, int MinOperations, TimeSpan MaxDuration, int MaxOperations);

/// <summary>
/// Concurrent readers and writers on a few products of the sample API, every operation recorded with
/// its start and end. One writer per product, writing strictly increasing versions into the name and
/// the price (<c>History {id} v{version}</c>) as the admin, with a short random pause after each write
/// so reads outnumber writes and find the cache warm; readers pick products at random and read
/// <c>GET /api/products/{id}</c>, the cached endpoint, back to back.
/// </summary>
internal sealed class Workload
{
    /// <summary>The version of a product still holding its seeded name: older than any write.</summary>
    public const long Seed = -1;

    private readonly HttpClient _writerClient;
    private readonly HttpClient _readerClient;
    private readonly string _adminToken;
    private readonly int[] _products;
    private readonly WorkloadLimits _limits;
    private readonly Stopwatch _clock = new();
    private readonly Random _pauses;
    private int _operations;

    public Workload(HttpClient writerClient, HttpClient readerClient, string adminToken, int[] products, WorkloadLimits limits)
    {
        _writerClient = writerClient;
        _readerClient = readerClient;
        _adminToken = adminToken;
        _products = products;
        _limits = limits;
        _pauses = new Random(products.Sum());
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// Writes version 0 of every product (completed before anything else starts), then runs
    /// <paramref name="readers"/> readers and one writer per product until the limits say stop.
    /// </summary>
    public async Task<List<Operation>> RunAsync(int readers, int seed)
    {
        var history = new List<Operation>();
        foreach (var product in _products)
        {
            // The seeded row counts as a write that completed long ago, so a read of it is caught as stale.
            history.Add(new Operation(OperationKind.Write, product, Seed, 0, 0, Succeeded: true));
            var first = await WriteAsync(product, 0);
            Assert.True(first.Succeeded, $"the first write of product {product} failed");
            history.Add(first);
        }

        _clock.Start();
        var workers = new List<Task<List<Operation>>>();
        foreach (var product in _products)
        {
            workers.Add(Task.Run(() => WriterAsync(product)));
        }

        for (var i = 0; i < readers; i++)
        {
            var random = new Random(seed + i);
            workers.Add(Task.Run(() => ReaderAsync(random)));
        }

        foreach (var operations in await Task.WhenAll(workers))
        {
            history.AddRange(operations);
        }

        _clock.Stop();
        return history;
    }

    private bool ShouldContinue()
    {
        var elapsed = _clock.Elapsed;
        var done = Volatile.Read(ref _operations);
        if (elapsed >= _limits.MaxDuration || done >= _limits.MaxOperations)
        {
            return false;
        }

        return elapsed < _limits.MinDuration || done < _limits.MinOperations;
    }

    private async Task<List<Operation>> WriterAsync(int product)
    {
        var operations = new List<Operation>();
        for (long version = 1; ShouldContinue(); version++)
        {
            var write = await WriteAsync(product, version);
            operations.Add(write);
            if (write.Succeeded)
            {
                Interlocked.Increment(ref _operations);
            }

            // After a failure (the session cannot be read while the cache server is down) wait a little
            // longer, so failed writes do not crowd out the reads being checked.
            int pause;
            lock (_pauses)
            {
                pause = write.Succeeded ? _pauses.Next(0, 20) : 25;
            }

            await Task.Delay(pause);
        }

        return operations;
    }

    private async Task<List<Operation>> ReaderAsync(Random random)
    {
        var operations = new List<Operation>();
        while (ShouldContinue())
        {
            var read = await ReadAsync(_products[random.Next(_products.Length)]);
            operations.Add(read);
            if (read.Succeeded)
            {
                Interlocked.Increment(ref _operations);
            }
        }

        return operations;
    }

    private async Task<Operation> WriteAsync(int product, long version)
    {
        var body = new { name = $"History {product} v{version}", description = "history", price = (decimal)version, isFeatured = false };
        var start = Stopwatch.GetTimestamp();
        bool succeeded;
        try
        {
            using var response = await _writerClient.SendAsync(HttpMethod.Put, $"/api/products/{product}", _adminToken, body);
            await response.Content.LoadIntoBufferAsync();
            succeeded = response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            succeeded = false;
        }

        return new Operation(OperationKind.Write, product, version, start, Stopwatch.GetTimestamp(), succeeded);
    }

    /// <summary>One read of a product, recorded like the workload's own.</summary>
    public Task<Operation> ReadOnceAsync(int product) => ReadAsync(product);

    private async Task<Operation> ReadAsync(int product)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _readerClient.GetAsync($"/api/products/{product}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await response.Content.LoadIntoBufferAsync();
                return new Operation(OperationKind.Read, product, Seed, start, Stopwatch.GetTimestamp(), Succeeded: false);
            }

            var dto = (await response.Content.ReadFromJsonAsync<ProductDto>())!;
            var end = Stopwatch.GetTimestamp();
            var version = VersionOf(product, dto);
            return new Operation(OperationKind.Read, product, version, start, end, Succeeded: true, FromCache: response.CacheHeader() == "HIT");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new Operation(OperationKind.Read, product, Seed, start, Stopwatch.GetTimestamp(), Succeeded: false);
        }
    }

    /// <summary>The version a product's row carries; name and price must agree, or the row is torn.</summary>
    private static long VersionOf(int product, ProductDto dto)
    {
        var prefix = $"History {product} v";
        if (!dto.Name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return Seed;
        }

        var version = long.Parse(dto.Name.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        Assert.Equal(version, (long)dto.Price);
        return version;
    }
}
