using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Hotpath.Testing;

/// <summary>
/// A Redis Cluster of a test's own (three primaries with one replica each, memory only, a short node
/// timeout), for tests that kill its nodes; the suite's shared cluster (<c>HOTPATH_TEST_CLUSTER</c>) is
/// never touched. Each node is a child process, killed by its PID.
/// </summary>
internal sealed class RedisClusterProcess : IAsyncDisposable
{
    private readonly Dictionary<int, Process> _nodes;
    private readonly string _folder;
    private ConnectionMultiplexer? _admin;

    private RedisClusterProcess(Dictionary<int, Process> nodes, string folder)
    {
        _nodes = nodes;
        _folder = folder;
    }

    public IReadOnlyCollection<int> Ports => _nodes.Keys;

    public string Url => "redis+cluster://" + string.Join(',', _nodes.Keys.Take(3).Select(static p => $"127.0.0.1:{p}"));

    /// <summary>redis-cli beside the configured redis-server, or on the PATH.</summary>
    public static string? Cli
    {
        get
        {
            if (RedisProcess.Binary is { } server && Path.Combine(Path.GetDirectoryName(server)!, "redis-cli") is var beside && File.Exists(beside))
            {
                return beside;
            }

            return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
                .Where(static f => f.Length > 0).Select(static f => Path.Combine(f, "redis-cli")).FirstOrDefault(File.Exists);
        }
    }

    public static async Task<RedisClusterProcess> StartAsync(int nodeTimeoutMilliseconds = 1000)
    {
        var binary = RedisProcess.Binary ?? throw new InvalidOperationException("redis-server is not installed.");
        var cli = Cli ?? throw new InvalidOperationException("redis-cli is not installed.");
        var folder = Directory.CreateTempSubdirectory("hotpath-cluster-").FullName;
        var nodes = new Dictionary<int, Process>();
        var cluster = new RedisClusterProcess(nodes, folder);
        try
        {
            foreach (var port in FreePorts(6))
            {
                var dir = Directory.CreateDirectory(Path.Combine(folder, port.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
                var args = $"--port {port} --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file {dir}/nodes.conf " +
                    $"--cluster-node-timeout {nodeTimeoutMilliseconds} --save \"\" --appendonly no --repl-diskless-sync-delay 0 --dir {dir} --logfile {dir}/redis.log";
                var process = Process.Start(new ProcessStartInfo(binary, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
                process.OutputDataReceived += static (_, _) => { };
                process.BeginOutputReadLine();
                nodes[port] = process;
            }

            foreach (var port in nodes.Keys)
            {
                if (!await Eventually.TrueAsync(() => Answers(port)))
                {
                    throw new InvalidOperationException($"cluster node {port} did not start");
                }
            }

            var create = Process.Start(new ProcessStartInfo(cli, "--cluster create " + string.Join(' ', nodes.Keys.Select(static p => $"127.0.0.1:{p}")) + " --cluster-replicas 1 --cluster-yes")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = await create.StandardOutput.ReadToEndAsync();
            await create.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            if (create.ExitCode != 0)
            {
                throw new InvalidOperationException("redis-cli --cluster create failed: " + output);
            }

            cluster._admin = await ConnectionMultiplexer.ConnectAsync(string.Join(',', nodes.Keys.Select(static p => $"127.0.0.1:{p}")) + ",allowAdmin=true,abortConnect=false,connectTimeout=1000,asyncTimeout=2000,syncTimeout=2000");
            if (!await Eventually.TrueAsync(cluster.IsHealthyAsync, TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException("the cluster did not reach cluster_state:ok with three primaries and three replicas");
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The live nodes' view as <c>CLUSTER NODES</c> lines of one node that answers.</summary>
    public async Task<IReadOnlyList<ClusterNode>> NodesAsync()
    {
        foreach (var port in _nodes.Where(static n => !n.Value.HasExited).Select(static n => n.Key))
        {
            try
            {
                var text = (string)(await _admin!.GetServer("127.0.0.1", port).ExecuteAsync("CLUSTER", "NODES"))!;
                return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ClusterNode.Parse).ToList();
            }
            catch (RedisException)
            {
            }
        }

        return [];
    }

    /// <summary>Every node up, cluster_state:ok, three primaries each with a replica that has finished its first sync.</summary>
    public async Task<bool> IsHealthyAsync()
    {
        try
        {
            foreach (var port in _nodes.Where(static n => !n.Value.HasExited).Select(static n => n.Key))
            {
                var info = (string)(await _admin!.GetServer("127.0.0.1", port).ExecuteAsync("CLUSTER", "INFO"))!;
                if (!info.Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    return false;
                }

                // A replica that has not finished its first sync has no data to take over with.
                var replication = (string)(await _admin.GetServer("127.0.0.1", port).ExecuteAsync("INFO", "replication"))!;
                if (replication.Contains("role:master", StringComparison.Ordinal)
                    ? !replication.Contains(",state=online,", StringComparison.Ordinal)
                    : !replication.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            var nodes = await NodesAsync();
            return nodes.Count(static n => n.IsPrimary && !n.IsFailed) == 3 && nodes.Count(static n => !n.IsPrimary && !n.IsFailed) == 3;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    /// <summary>The port of the primary that serves <paramref name="slot"/>.</summary>
    public async Task<int> PrimaryOfSlotAsync(int slot) =>
        (await NodesAsync()).Single(n => n.IsPrimary && !n.IsFailed && n.Slots.Any(r => slot >= r.From && slot <= r.To)).Port;

    /// <summary>SIGKILL: the node dies at once, with whatever its replica has not received yet.</summary>
    public void Kill(int port)
    {
        var process = _nodes[port];
        process.Kill();
        process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _nodes.Values)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            return stream.Read(buffer) >= 5 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Ports whose cluster bus port (port + 10000) is free too.</summary>
    private static List<int> FreePorts(int count)
    {
        var ports = new List<int>();
        foreach (var candidate in Enumerable.Range(0, 2000).Select(static _ => Random.Shared.Next(20000, 30000)))
        {
            if (!ports.Contains(candidate) && IsFree(candidate) && IsFree(candidate + 10000))
            {
                ports.Add(candidate);
                if (ports.Count == count)
                {
                    return ports;
                }
            }
        }

        throw new InvalidOperationException("no free ports for a cluster");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal sealed record ClusterNode(string Id, int Port, bool IsPrimary, bool IsFailed, string? PrimaryId, IReadOnlyList<(int From, int To)> Slots)
    {
        public static ClusterNode Parse(string line)
        {
            // <id> <ip:port@cport> <flags> <primary> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> ...
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var address = parts[1][..parts[1].IndexOf('@', StringComparison.Ordinal)];
            var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            var flags = parts[2].Split(',');
            var slots = new List<(int, int)>();
            foreach (var range in parts.Skip(8).Where(static p => !p.StartsWith('[')))
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                var from = int.Parse(dash < 0 ? range : range[..dash], System.Globalization.CultureInfo.InvariantCulture);
                slots.Add((from, dash < 0 ? from : int.Parse(range[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
            }

            return new ClusterNode(parts[0], port, flags.Contains("master"), flags.Contains("fail") || flags.Contains("fail?"), parts[3] == "-" ? null : parts[3], slots);
        }
    }
}
