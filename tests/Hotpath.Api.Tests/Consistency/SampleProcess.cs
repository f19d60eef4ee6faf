using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Hotpath.Testing;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>
/// The sample API as a real operating-system process (<c>dotnet Hotpath.Api.dll</c>), started from the
/// copy of the sample that the project reference puts next to the test assembly. It listens on a port
/// the kernel picks (<c>--urls http://127.0.0.1:0</c>), read back from its start-up log, so two
/// processes never race for one port. Its output is kept to show when a test fails; disposing it kills
/// the process by its id.
/// </summary>
internal sealed partial class SampleProcess : IDisposable
{
    private const int KeptLines = 400;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SampleProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>Where it listens, once <see cref="StartAsync"/> has returned.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public int ProcessId => _process.Id;

    /// <summary>The sample's entry assembly beside the test assembly (copied there by the project reference).</summary>
    public static string AppPath => Path.Combine(AppContext.BaseDirectory, "Hotpath.Api.dll");

    /// <summary>
    /// Starts the sample with <paramref name="environment"/> on top of this process's environment and
    /// waits, within <paramref name="bound"/>, until it listens and its <c>/healthz</c> answers 200.
    /// On a failure the process is killed and the exception carries its output.
    /// </summary>
    public static async Task<SampleProcess> StartAsync(string name, IReadOnlyDictionary<string, string> environment, TimeSpan bound)
    {
        if (!File.Exists(AppPath) || !File.Exists(Path.ChangeExtension(AppPath, ".runtimeconfig.json")))
        {
            throw new InvalidOperationException($"The sample is not built next to the tests: {AppPath} or its runtimeconfig.json is missing.");
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var argument in new[] { AppPath, "--contentRoot", AppContext.BaseDirectory, "--urls", "http://127.0.0.1:0" })
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing inherited picks the cache or the database: the test says which.
        start.Environment.Remove("REDIS_URL");
        start.Environment.Remove("DATABASE_URL");
        start.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var sample = new SampleProcess(name, process);
        process.OutputDataReceived += (_, e) => sample.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => sample.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await sample.WaitUntilHealthyAsync(bound);
            return sample;
        }
        catch (Exception ex)
        {
            sample.Dispose();
            throw new InvalidOperationException($"The sample process {name} did not become healthy within {bound.TotalSeconds:0} s: {ex.Message}\n{sample.Output}", ex);
        }
    }

    /// <summary>The last lines it wrote to stdout and stderr.</summary>
    public string Output => $"--- {Name} (pid {_process.Id}{(HasExited ? $", exited with {_process.ExitCode}" : string.Empty)}) ---\n{string.Join('\n', _output)}";

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>Kills the process (by its id, with anything it started) and waits a bounded time for it to go.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Never started, or already reaped.
        }

        _process.Dispose();
    }

    private async Task WaitUntilHealthyAsync(TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        var exited = _process.WaitForExitAsync();
        var listening = await Task.WhenAny(_listening.Task, exited, Task.Delay(bound));
        if (listening != _listening.Task)
        {
            throw new InvalidOperationException(exited.IsCompleted ? "it exited before listening" : "it never logged where it listens");
        }

        BaseAddress = await _listening.Task;
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var remaining = bound - clock.Elapsed;
        var healthy = await Eventually.TrueAsync(async () =>
        {
            if (HasExited)
            {
                throw new InvalidOperationException("it exited before /healthz answered");
            }

            try
            {
                using var response = await client.GetAsync("/healthz");
                return response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        if (!healthy)
        {
            throw new InvalidOperationException("/healthz never answered 200");
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }

        // Kestrel's own line, whatever the sample logs besides.
        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    /// <summary>The host the tests run under (it is the SDK's <c>dotnet</c>), or <c>dotnet</c> from the PATH.</summary>
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return "dotnet";
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
