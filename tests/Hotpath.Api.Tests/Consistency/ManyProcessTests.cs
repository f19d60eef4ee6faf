using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Hotpath.Api.Products;
using Hotpath.Testing;
using Xunit.Abstractions;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>
/// Three operating-system processes of the sample on one Redis, one key prefix and one SQLite file:
/// product edits go through one of them while all three serve the item, the featured list and the first
/// page; the history of every request is checked across the processes and the time each other process
/// took to serve a write is measured.
/// </summary>
[Collection(ConsistencyCollection.Name)]
public sealed class ManyProcessTests(ITestOutputHelper output)
{
    private const int Instances = 3;
    private const int Writer = 0;
    private const int ReadersPerInstance = 2;

    /// <summary>Both on the first page; every write also marks them featured, so all three reads cover them.</summary>
    private static readonly int[] Products = [2, 7];

    /// <summary>
    /// How long after a write returned the other processes may still serve the older row. The backplane
    /// delivers in milliseconds (the test prints how many); the bound is generous so a loaded 2-core
    /// machine does not fail a correct run, and far below every TTL the sample caches with (30 s and
    /// more), so an instance that never heard the invalidation fails it.
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(12);

    [RedisUrlFact]
    public async Task AWriteOnOneProcessIsServedAtOnceThereAndByTheOtherProcessesWithinTheBound()
    {
        var redisUrl = Environment.GetEnvironmentVariable(TestServers.RedisVariable)!;
        await using var db = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var password = Guid.NewGuid().ToString("N");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["REDIS_URL"] = redisUrl,
            ["DATABASE_URL"] = string.Empty,
            ["Database__SqlitePath"] = db.SqlitePath!,
            ["Hotpath__KeyPrefix"] = TestServers.UniquePrefix("many-processes"),
            ["Seed__AlicePassword"] = password,

            // A busy machine must not turn a slow reply into a miss or a lost session.
            ["Hotpath__OperationTimeout"] = "00:00:05",
            ["Hotpath__ConnectTimeout"] = "00:00:10",

            // The load is far more than the sample's /api token bucket lets one client send.
            ["RateLimits__Api__TokenLimit"] = "1000000",
            ["RateLimits__Api__TokensPerPeriod"] = "1000000",
            ["RateLimits__Login__PerEmailAndIp"] = "100000",
            ["RateLimits__Login__PerIp"] = "100000",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
        };

        var processes = new List<SampleProcess>();
        var clients = new List<HttpClient>();
        try
        {
            // The first creates the schema and seeds; the others then find it done.
            processes.Add(await SampleProcess.StartAsync("sample-0", environment, StartBound));
            var others = Enumerable.Range(1, Instances - 1).Select(i => SampleProcess.StartAsync($"sample-{i}", environment, StartBound)).ToArray();
            try
            {
                await Task.WhenAll(others);
            }
            finally
            {
                processes.AddRange(others.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            clients.AddRange(processes.Select(p => new HttpClient { BaseAddress = p.BaseAddress, Timeout = TimeSpan.FromSeconds(30) }));
            output.WriteLine($"processes: {string.Join(", ", processes.Select(p => $"{p.Name} pid {p.ProcessId} on {p.BaseAddress}"))}");
            await RunAndCheckAsync(clients, processes, password);
        }
        catch
        {
            foreach (var process in processes)
            {
                output.WriteLine(process.Output);
            }

            throw;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    [Fact]
    public void TheCrossInstanceCheckerAllowsLagOnlyOnTheOtherInstancesAndOnlyWithinTheBound()
    {
        var ms = Stopwatch.Frequency / 1000;
        var t = Stopwatch.GetTimestamp();
        Operation Write(long version, long start, long end) => new(OperationKind.Write, 1, version, t + (start * ms), t + (end * ms), true);
        Observation Read(int instance, long version, long start, long end) => new(instance, "item", 1, version, t + (start * ms), t + (end * ms), false);
        List<Operation> writes = [Write(0, 0, 10), Write(1, 100, 110)];

        var report = Convergence.Check(writes,
        [
            Read(0, 1, 111, 112),    // the writer, after write 1: fine
            Read(0, 0, 112, 113),    // the writer, after write 1: stale at once
            Read(1, 0, 108, 109),    // another instance, before write 1 returned: fine
            Read(1, 0, 115, 116),    // ... 5 ms after it returned: within the bound
            Read(1, 1, 130, 131),    // ... and then the new version: converged 21 ms after
            Read(2, 0, 105, 150),    // under way when write 1 returned
            Read(2, 0, 200, 201),    // 90 ms after: past the 50 ms bound
            Read(2, 1, 202, 204),    // converged 94 ms after
        ], writer: 0, bound: TimeSpan.FromMilliseconds(50));

        Assert.Equal([(0L, 113L)], report.WriterStale.Select(s => (s.Read.Version, (s.Read.End - t) / ms)));
        Assert.Equal([(0L, 201L)], report.LateStale.Select(s => (s.Read.Version, (s.Read.End - t) / ms)));
        Assert.Empty(report.Impossible);

        // Write 0 returned before either instance was read at all: not measured.
        Assert.Equal([(1, 21L), (2, 94L)], report.Delays.Select(d => (d.Instance, (long)Math.Round(d.Delay.TotalMilliseconds))).Order());
        Assert.Equal(2, report.Unmeasured);
    }

    private async Task RunAndCheckAsync(List<HttpClient> clients, List<SampleProcess> processes, string password)
    {
        var admin = await clients[Writer].LoginAsync(ApiClient.Alice, password);
        var writes = new List<Operation>();
        foreach (var product in Products)
        {
            // The seeded row counts as a write that completed long ago, so a read of it is caught as stale.
            writes.Add(new Operation(OperationKind.Write, product, Workload.Seed, 0, 0, Succeeded: true));
            var first = await WriteAsync(clients[Writer], admin, product, 0);
            Assert.True(first.Succeeded, $"the first write of product {product} failed");
            writes.Add(first);
        }

        // Warm every path of every process once (JIT, connections, the first subscription) before the run.
        foreach (var (client, instance) in clients.Select((c, i) => (c, i)))
        {
            foreach (var endpoint in Endpoints)
            {
                for (var i = 0; i < 5; i++)
                {
                    var warm = await ReadAsync(client, instance, endpoint);
                    Assert.True(warm.Succeeded, $"{endpoint} on {processes[instance].Name} answered {warm.Status}");
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var writers = Products.Select(p => Task.Run(() => WriterAsync(clients[Writer], admin, p, clock))).ToArray();
        var readers = Enumerable.Range(0, Instances * ReadersPerInstance)
            .Select(i => Task.Run(() => ReaderAsync(clients[i % Instances], i % Instances, new Random(i), clock)))
            .ToArray();
        foreach (var written in await Task.WhenAll(writers))
        {
            writes.AddRange(written);
        }

        var results = (await Task.WhenAll(readers)).SelectMany(r => r).ToList();
        var elapsed = clock.Elapsed;

        foreach (var process in processes)
        {
            Assert.False(process.HasExited, $"{process.Name} exited during the run");
        }

        var failedReads = results.Where(r => !r.Succeeded).ToList();
        var observations = results.Where(r => r.Succeeded).SelectMany(r => r.Observations).ToList();
        var report = Convergence.Check(writes, observations, Writer, Bound);
        var completed = writes.Count(w => w.Succeeded && w.Version != Workload.Seed);

        output.WriteLine($"{elapsed.TotalSeconds:F1} s: {completed} writes on {processes[Writer].Name}, {results.Count} reads ({failedReads.Count} failed) giving {observations.Count} observations");
        for (var i = 0; i < Instances; i++)
        {
            var mine = results.Where(r => r.Instance == i && r.Succeeded).ToList();
            var took = mine.Select(r => r.Took).Order().ToArray();
            output.WriteLine($"  {processes[i].Name}: {mine.Count} reads, {mine.Count(r => r.FromCache)} from a cache (X-Cache HIT or a stored response), " +
                $"each took p50 {Ms(Rank(took, 0.5))}, p99 {Ms(Rank(took, 0.99))}");
        }

        // A delay is measured up to the end of the first read that showed the new row, so it includes that read's own time.
        output.WriteLine($"convergence (write returned -> other process serves it) over {report.Delays.Count} write x process pairs: " +
            $"p50 {Ms(report.Percentile(0.5))}, p99 {Ms(report.Percentile(0.99))}, max {Ms(report.Percentile(1))}; {report.Unmeasured} unmeasured (the run ended first)");
        for (var i = 0; i < Instances; i++)
        {
            if (i != Writer)
            {
                output.WriteLine($"  {processes[i].Name}: p50 {Ms(report.Percentile(0.5, i))}, p99 {Ms(report.Percentile(0.99, i))}, max {Ms(report.Percentile(1, i))}");
            }
        }

        foreach (var stale in report.WriterStale.Concat(report.LateStale).Take(10))
        {
            output.WriteLine($"STALE on {processes[Observed(observations, stale.Read).Instance].Name}: {Observed(observations, stale.Read).Endpoint} product {stale.Read.Product} " +
                $"v{stale.Read.Version} began {Ms(stale.Behind)} after v{stale.Superseding.Version} was written");
        }

        foreach (var impossible in report.Impossible.Take(10))
        {
            output.WriteLine($"IMPOSSIBLE: product {impossible.Read.Product} v{impossible.Read.Version}: {impossible.Reason}");
        }

        Assert.Empty(failedReads.Select(r => $"{r.Endpoint} on {processes[r.Instance].Name}: {r.Status}"));
        Assert.Equal(0, writes.Count(w => !w.Succeeded));
        Assert.True(completed >= 20, $"only {completed} writes completed in {elapsed.TotalSeconds:F1} s");
        for (var i = 0; i < Instances; i++)
        {
            var mine = results.Where(r => r.Instance == i && r.Succeeded).ToList();
            Assert.True(mine.Count >= 100, $"{processes[i].Name} answered only {mine.Count} reads");

            // Otherwise nothing was cached, and the run says nothing about invalidation.
            Assert.True(mine.Any(r => r.FromCache), $"{processes[i].Name} served no read from a cache");
        }

        Assert.Empty(report.Impossible);
        Assert.True(report.WriterStale.Count == 0, $"{report.WriterStale.Count} reads on the writing process began after a newer write had returned");
        Assert.True(report.LateStale.Count == 0, $"{report.LateStale.Count} reads on other processes began more than {Bound.TotalSeconds:0} s after a newer write had returned");
        Assert.True(report.Delays.Count >= 20, $"only {report.Delays.Count} convergence delays were measured");
    }

    private static readonly string[] Endpoints =
    [
        .. Products.Select(p => $"/api/products/{p}"),
        "/api/products/featured",
        "/api/products?page=1&pageSize=20",
    ];

    private static async Task<List<Operation>> WriterAsync(HttpClient client, string admin, int product, Stopwatch clock)
    {
        var operations = new List<Operation>();
        var pauses = new Random(product);
        for (long version = 1; clock.Elapsed < RunFor; version++)
        {
            operations.Add(await WriteAsync(client, admin, product, version));

            // Writes far enough apart that most of them are measured on their own.
            await Task.Delay(pauses.Next(20, 60));
        }

        return operations;
    }

    private static async Task<Operation> WriteAsync(HttpClient client, string admin, int product, long version)
    {
        var body = new { name = $"Processes {product} v{version}", description = "many processes", price = (decimal)version, isFeatured = true };
        var start = Stopwatch.GetTimestamp();
        bool succeeded;
        try
        {
            using var response = await client.SendAsync(HttpMethod.Put, $"/api/products/{product}", admin, body);
            await response.Content.LoadIntoBufferAsync();
            succeeded = response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            succeeded = false;
        }

        return new Operation(OperationKind.Write, product, version, start, Stopwatch.GetTimestamp(), succeeded);
    }

    private static async Task<List<ReadResult>> ReaderAsync(HttpClient client, int instance, Random random, Stopwatch clock)
    {
        var results = new List<ReadResult>();
        var next = random.Next(Endpoints.Length);
        while (clock.Elapsed < RunFor)
        {
            results.Add(await ReadAsync(client, instance, Endpoints[next]));
            next = (next + 1) % Endpoints.Length;
        }

        return results;
    }

    private static async Task<ReadResult> ReadAsync(HttpClient client, int instance, string endpoint)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.GetAsync(endpoint);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await response.Content.LoadIntoBufferAsync();
                return new ReadResult(instance, endpoint, (int)response.StatusCode, false, []);
            }

            var fromCache = response.CacheHeader() == "HIT" || response.FromResponseCache();
            IReadOnlyList<ProductDto> rows = endpoint switch
            {
                "/api/products/featured" => (await response.Content.ReadFromJsonAsync<List<ProductDto>>())!,
                _ when endpoint.StartsWith("/api/products?", StringComparison.Ordinal) => (await response.Content.ReadFromJsonAsync<ProductPage>())!.Items,
                _ => [(await response.Content.ReadFromJsonAsync<ProductDto>())!],
            };
            var end = Stopwatch.GetTimestamp();
            var observations = new List<Observation>();
            foreach (var product in Products)
            {
                var row = rows.FirstOrDefault(r => r.Id == product);
                var isItem = endpoint == $"/api/products/{product}";
                if (row is null && endpoint != "/api/products/featured")
                {
                    // An item read of another product, or a page without it (never: both are on page 1).
                    Assert.False(isItem, $"{endpoint} answered another product");
                    continue;
                }

                // Every write marks the product featured: a featured list without it shows the seeded row.
                observations.Add(new Observation(instance, endpoint, product, row is null ? Workload.Seed : VersionOf(row), start, end, fromCache));
            }

            return new ReadResult(instance, endpoint, 200, fromCache, observations, Stopwatch.GetElapsedTime(start, end));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new ReadResult(instance, endpoint, 0, false, []);
        }
    }

    private static long VersionOf(ProductDto row)
    {
        var prefix = $"Processes {row.Id} v";
        if (!row.Name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return Workload.Seed;
        }

        var version = long.Parse(row.Name.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        Assert.Equal(version, (long)row.Price);
        return version;
    }

    private static Observation Observed(List<Observation> observations, Operation read) =>
        observations.First(o => o.Product == read.Product && o.Start == read.Start && o.End == read.End);

    private static string Ms(TimeSpan value) => $"{value.TotalMilliseconds:F1} ms";

    private static TimeSpan Rank(TimeSpan[] sorted, double fraction) =>
        sorted.Length == 0 ? TimeSpan.Zero : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed record ReadResult(int Instance, string Endpoint, int Status, bool FromCache, List<Observation> Observations, TimeSpan Took = default)
    {
        public bool Succeeded => Status == 200;
    }
}

/// <summary>A test that needs the Redis server named by <c>HOTPATH_TEST_REDIS</c>; skipped when it is unset.</summary>
internal sealed class RedisUrlFactAttribute : FactAttribute
{
    public RedisUrlFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestServers.RedisVariable)))
        {
            Skip = $"needs a Redis server in {TestServers.RedisVariable} (.ci/run starts one and sets it)";
        }
    }
}
