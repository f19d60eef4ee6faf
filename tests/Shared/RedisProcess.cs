using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Xunit;

namespace Hotpath.Testing;

/// <summary>
/// A real redis-server child process that a test starts, stops and restarts, for outages and
/// subscription drops. Found through <c>HOTPATH_REDIS_SERVER_BIN</c> or <c>redis-server</c> on the PATH.
/// </summary>
internal sealed class RedisProcess : IDisposable
{
    private readonly string _binary;
    private readonly string _folder;
    private readonly bool _persistent;
    private readonly string[] _extraArguments;
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private RedisProcess(string binary, int port, bool persistent, string[] extraArguments)
    {
        _binary = binary;
        Port = port;
        _persistent = persistent;
        _extraArguments = extraArguments;
        _folder = Directory.CreateTempSubdirectory("hotpath-redis-").FullName;
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    public static string? Binary
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("HOTPATH_REDIS_SERVER_BIN");
            if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
            {
                return configured;
            }

            foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
            {
                var candidate = Path.Combine(folder, "redis-server");
                if (folder.Length > 0 && File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Starts a server; with <paramref name="persistent"/> it keeps an append-only file, so a restart comes back
    /// with its data. <paramref name="extraArguments"/> are passed as they are (one argument each, no shell quoting).
    /// </summary>
    public static async Task<RedisProcess> StartAsync(bool persistent = false, params string[] extraArguments)
    {
        var binary = Binary ?? throw new InvalidOperationException("redis-server is not installed.");
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var redis = new RedisProcess(binary, port, persistent, extraArguments);
        await redis.RestartAsync();
        return redis;
    }

    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(_binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        List<string> args = ["--port", $"{Port}", "--bind", "127.0.0.1", "--dir", _folder, "--save", ""];
        args.AddRange(_persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]);
        args.AddRange(_extraArguments);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                // A fresh connection answering PONG: the server is up and has loaded its data.
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[64];
                var read = await stream.ReadAsync(buffer);
                if (read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, 5) == "+PONG")
                {
                    _admin ??= await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true,abortConnect=false");

                    // After a restart the admin connection reconnects in the background: a command sent
                    // before it has would fail, so the restart is over once it is back (bounded).
                    var admin = _admin;
                    if (!await Eventually.TrueAsync(() => admin.IsConnected, TimeSpan.FromSeconds(10)))
                    {
                        throw new InvalidOperationException("the admin connection did not come back after the restart");
                    }

                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("redis-server did not start.");
    }

    /// <summary>Kills the server at once, like a crash or a partition (the append-only file keeps what it had).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public async Task<RedisResult> Command(string command, params object[] args) =>
        await _admin!.GetDatabase().ExecuteAsync(command, args);

    public void Dispose()
    {
        Stop();
        _admin?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A test that starts its own redis-server; skipped where none is installed (a machine with only the SDK).</summary>
internal sealed class RedisServerFactAttribute : FactAttribute
{
    public RedisServerFactAttribute()
    {
        if (RedisProcess.Binary is null)
        {
            Skip = MissingReason;
        }
    }

    public static string MissingReason => "needs redis-server (installed by .ci/run)";
}
