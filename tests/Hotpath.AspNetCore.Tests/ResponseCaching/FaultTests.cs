using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hotpath.Testing;
using Microsoft.AspNetCore.Builder;

namespace Hotpath.AspNetCore.Tests.ResponseCaching;

/// <summary>Rule 9: an unreachable or slow server makes requests run normally, within a bounded delay.</summary>
public sealed class FaultTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    // Generous, for a loaded machine: a request that hung on the server would take forever; one that
    // degrades takes two operation timeouts (500 ms each, noticed by the client within about a second).
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WithTheServerUnreachableRequestsRunNormallyAsMisses()
    {
        var port = ClosedPort();
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync($"redis://127.0.0.1:{port}", a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => $"items {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1), "items");
        }, hotpath: Timeouts);

        for (var i = 1; i <= 3; i++)
        {
            var clock = Stopwatch.StartNew();
            var response = await app.GetBodyAsync("/items");
            Assert.Equal(($"items {i}", "MISS"), response);
            Assert.True(clock.Elapsed < Bound, $"request {i} took {clock.Elapsed}");
        }
    }

    /// <summary>Single servers only: a cluster's redirections name its nodes' own addresses, which a proxy in front of one node cannot take over.</summary>
    public static TheoryData<string> SingleServers
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var row in TestServers.Names)
            {
                if (row != TestServers.Cluster)
                {
                    data.Add(row);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SingleServers))]
    public async Task WithTheServerSlowRequestsRunNormallyAsMissesWithinABoundedDelay(string server)
    {
        using var proxy = new BlackHoleProxy(new Uri(TestServers.Url(server)));
        var calls = 0;
        await using var app = await ResponseCacheTestApp.StartAsync($"redis://127.0.0.1:{proxy.Port}", a =>
        {
            a.UseHotpathResponseCache();
            a.MapGet("/items", () => $"items {Interlocked.Increment(ref calls)}").CacheResponse(TimeSpan.FromMinutes(1));
        }, hotpath: o =>
        {
            Timeouts(o);

            // The server path is under test: a response remembered in memory would be a hit without it.
            o.L1.Enabled = false;
        });
        // Through the proxy the cache works; on a loaded machine a first store may time out, so retry.
        var warm = await app.GetBodyAsync("/items");
        for (var i = 0; i < 10 && warm.CacheStatus != "HIT"; i++)
        {
            warm = await app.GetBodyAsync("/items");
        }

        Assert.Equal("HIT", warm.CacheStatus);

        proxy.Swallow = true;
        var clock = Stopwatch.StartNew();
        var slow = await app.GetBodyAsync("/items");

        Assert.Equal("MISS", slow.CacheStatus);
        Assert.NotEqual(warm.Body, slow.Body);
        Assert.True(clock.Elapsed < Bound, $"the request took {clock.Elapsed}");
    }

    private static void Timeouts(HotpathOptions options)
    {
        options.OperationTimeout = TimeSpan.FromMilliseconds(500);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(500);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Forwards TCP to a server; once <see cref="Swallow"/> is set, the server's replies are dropped, as if it hung.</summary>
    private sealed class BlackHoleProxy : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Uri _target;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _clients = [];

        public BlackHoleProxy(Uri target)
        {
            _target = target;
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public volatile bool Swallow;

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                var upstream = new TcpClient();
                await upstream.ConnectAsync(_target.Host, _target.Port);
                lock (_clients)
                {
                    _clients.Add(client);
                    _clients.Add(upstream);
                }

                _ = PumpAsync(client.GetStream(), upstream.GetStream(), swallowable: false);
                _ = PumpAsync(upstream.GetStream(), client.GetStream(), swallowable: true);
            }
        }

        private async Task PumpAsync(Stream from, Stream to, bool swallowable)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    if (!(swallowable && Swallow))
                    {
                        await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                    }
                }
            }
            catch (Exception)
            {
                // The proxy or a side closed.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_clients)
            {
                foreach (var client in _clients)
                {
                    client.Dispose();
                }
            }
        }
    }
}
