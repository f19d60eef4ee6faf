using System.Diagnostics;
using Hotpath.Testing;

namespace Hotpath.Api.Tests.Consistency;

internal enum FaultKind : byte
{
    /// <summary><c>CLIENT PAUSE ms ALL</c>: every command of every client waits (a stalled server or network).</summary>
    PauseAll,

    /// <summary><c>CLIENT PAUSE ms WRITE</c>: reads go on while deletes and writes wait (invalidations stuck behind reads that succeed).</summary>
    PauseWrite,

    /// <summary>The process is killed and started again on its append-only file, so it comes back with its old data.</summary>
    KillAndRestart,
}

/// <summary>
/// Breaks a redis-server over and over while a workload runs: short quiet periods, then a pause of
/// every client, a pause of writes only, or a kill and restart, in turn. Deterministic for a seed.
/// </summary>
internal sealed class FaultInjector(RedisProcess redis, int seed)
{
    private readonly Random _random = new(seed);
    private readonly Dictionary<FaultKind, int> _injected = [];
    private readonly List<(long Start, long End)> _windows = [];

    public IReadOnlyDictionary<FaultKind, int> Injected => _injected;

    public int Total => _injected.Values.Sum();

    /// <summary>When each fault began and ended (Stopwatch timestamps): from the pause or kill to the end of the pause or the restart.</summary>
    public IReadOnlyList<(long Start, long End)> Windows => _windows;

    /// <summary>Injects faults until <paramref name="stop"/> fires, then leaves the server up and unpaused.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        FaultKind[] cycle = [FaultKind.PauseAll, FaultKind.KillAndRestart, FaultKind.PauseWrite, FaultKind.PauseAll, FaultKind.KillAndRestart];
        var next = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(_random.Next(300, 900), stop);
                await InjectAsync(cycle[next++ % cycle.Length], stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await EnsureUpAsync();
        }
    }

    private async Task InjectAsync(FaultKind kind, CancellationToken stop)
    {
        var length = TimeSpan.FromMilliseconds(_random.Next(300, 1500));
        var start = Stopwatch.GetTimestamp();
        if (kind == FaultKind.KillAndRestart)
        {
            redis.Stop();
            Count(kind);
            try
            {
                await Task.Delay(length, stop);
            }
            finally
            {
                await redis.RestartAsync();
                _windows.Add((start, Stopwatch.GetTimestamp()));
            }

            return;
        }

        // Right after a restart the admin connection may still be reconnecting: retry for a while.
        var mode = kind == FaultKind.PauseAll ? "ALL" : "WRITE";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                start = Stopwatch.GetTimestamp();
                await redis.Command("CLIENT", "PAUSE", (long)length.TotalMilliseconds, mode).WaitAsync(TimeSpan.FromSeconds(2), stop);
                break;
            }
            catch (Exception ex) when ((ex is StackExchange.Redis.RedisException or TimeoutException) && attempt < 30)
            {
                await Task.Delay(100, stop);
            }
        }

        Count(kind);
        try
        {
            await Task.Delay(length, stop);
        }
        finally
        {
            _windows.Add((start, Stopwatch.GetTimestamp()));
        }
    }

    private void Count(FaultKind kind) => _injected[kind] = _injected.GetValueOrDefault(kind) + 1;

    private async Task EnsureUpAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            try
            {
                await redis.Command("CLIENT", "UNPAUSE").WaitAsync(TimeSpan.FromSeconds(2));
                return;
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                await Task.Delay(100);
            }
        }
    }
}
