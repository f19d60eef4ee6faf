using System.Diagnostics.Metrics;
using Hotpath.Internals;
using Hotpath.Locking;
using Hotpath.Locking.Internals;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Hotpath.Tests;

/// <summary>Distributed locks against every RESP server the suite has.</summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class LockTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    private static LockService Locks(string server, string prefix, IConnectionMultiplexer? multiplexer = null, Action<LockOptions>? configure = null, HotpathMetrics? metrics = null)
    {
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = prefix };
        var lockOptions = new LockOptions();
        configure?.Invoke(lockOptions);
        var connection = HotpathConnection.Wrap(multiplexer ?? TestServers.Multiplexer(server), options, NullLogger.Instance);
        return LockService.Create(connection, lockOptions, metrics ?? new HotpathMetrics(), NullLoggerFactory.Instance, TimeProvider.System);
    }

    private static ConnectionMultiplexer NewMultiplexer(string server) =>
        ConnectionMultiplexer.Connect(RedisConnectionSettings.Parse(TestServers.Url(server))
            .ToConfigurationOptions(new HotpathOptions { OperationTimeout = TimeSpan.FromSeconds(5) }));

    private static IDatabase Raw(string server, string prefix) =>
        TestServers.Multiplexer(server).GetDatabase().WithKeyPrefix(prefix);

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task OnlyOneHolderAtATimeUnderContentionFromManyTasksAndConnections(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(OnlyOneHolderAtATimeUnderContentionFromManyTasksAndConnections));
        var multiplexers = Enumerable.Range(0, 3).Select(_ => NewMultiplexer(server)).ToArray();
        try
        {
            // Each connection stands for an instance of the application, with its own lock service.
            var services = multiplexers.Select(m => Locks(server, prefix, m)).ToArray();
            var inside = 0;
            var overlaps = 0;
            var counter = 0;
            var tokens = new List<long>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            async Task WorkAsync(LockService locks)
            {
                for (var i = 0; i < 5; i++)
                {
                    await using var handle = await locks.AcquireAsync("stock:42", TimeSpan.FromSeconds(10), cancellationToken: timeout.Token);
                    if (Interlocked.Increment(ref inside) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    // A read-modify-write that loses updates if two holders interleave.
                    var read = counter;
                    tokens.Add(handle.FencingToken);
                    await Task.Delay(1);
                    counter = read + 1;
                    Interlocked.Decrement(ref inside);
                }
            }

            await Task.WhenAll(services.SelectMany(s => Enumerable.Range(0, 8).Select(_ => Task.Run(() => WorkAsync(s)))));

            Assert.Equal(0, overlaps);
            Assert.Equal(3 * 8 * 5, counter);
            Assert.Equal(3 * 8 * 5, tokens.Count);
            for (var i = 1; i < tokens.Count; i++)
            {
                Assert.True(tokens[i] > tokens[i - 1], $"fencing token {tokens[i]} after {tokens[i - 1]}");
            }
        }
        finally
        {
            foreach (var multiplexer in multiplexers)
            {
                await multiplexer.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task FencingTokensKeepIncreasingEvenWhenTheCounterIsLost(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(FencingTokensKeepIncreasingEvenWhenTheCounterIsLost));
        var locks = Locks(server, prefix);
        var tokens = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await using var handle = await locks.AcquireAsync("report", TimeSpan.FromSeconds(5));
            tokens.Add(handle.FencingToken);
        }

        // An evicted or expired counter must not restart below the tokens already handed out.
        Assert.True(await Raw(server, prefix).KeyDeleteAsync(RedisLockStore.FenceKey("report")));
        await using (var afterLoss = await locks.AcquireAsync("report", TimeSpan.FromSeconds(5)))
        {
            tokens.Add(afterLoss.FencingToken);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.Equal(tokens[1] + 1, tokens[2]);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnExpiredLeaseLetsTheNextHolderInAndTheOldHandleCannotFreeIt(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnExpiredLeaseLetsTheNextHolderInAndTheOldHandleCannotFreeIt));
        var first = Locks(server, prefix);
        var second = Locks(server, prefix);

        var stale = await first.AcquireAsync("job", TimeSpan.FromSeconds(1));
        Assert.Null(await second.TryAcquireAsync("job", TimeSpan.FromSeconds(5)));
        var next = await second.TryAcquireAsync("job", TimeSpan.FromSeconds(5), wait: TimeSpan.FromSeconds(10));

        Assert.NotNull(next);
        Assert.True(next.FencingToken > stale.FencingToken);
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(stale.HandleLostToken.IsCancellationRequested), TimeSpan.FromSeconds(5)));
        Assert.False(await stale.ExtendAsync());
        Assert.False(await stale.ReleaseAsync());
        Assert.Null(await first.TryAcquireAsync("job", TimeSpan.FromSeconds(5)));
        Assert.False(next.HandleLostToken.IsCancellationRequested);
        await next.DisposeAsync();
        Assert.NotNull(await first.TryAcquireAsync("job", TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ANonHolderCannotReleaseOrExtendTheLock(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(ANonHolderCannotReleaseOrExtendTheLock));
        var locks = Locks(server, prefix);
        await using var held = await locks.AcquireAsync("invoice", TimeSpan.FromSeconds(30));

        Assert.False(await locks.Store.ReleaseAsync("invoice", "someone-else", CancellationToken.None));
        Assert.False(await locks.Store.ExtendAsync("invoice", "someone-else", TimeSpan.FromMinutes(10), CancellationToken.None));

        Assert.Null(await locks.TryAcquireAsync("invoice", TimeSpan.FromSeconds(1)));
        var ttl = await Raw(server, prefix).KeyTimeToLiveAsync(RedisLockStore.LockKey("invoice"));
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AutomaticExtensionKeepsTheLockPastItsLease(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AutomaticExtensionKeepsTheLockPastItsLease));
        var holder = Locks(server, prefix, configure: o => o.AutoExtend = true);
        var other = Locks(server, prefix);
        // Long enough that a stalled thread pool on a loaded machine does not outlast a whole lease
        // (the handle then rightly reports the lock lost), short enough that the loop spans several.
        var lease = TimeSpan.FromSeconds(2);

        await using (var handle = await holder.AcquireAsync("sync", lease))
        {
            var until = DateTime.UtcNow + (lease * 2);
            while (DateTime.UtcNow < until)
            {
                Assert.Null(await other.TryAcquireAsync("sync", TimeSpan.FromSeconds(5)));
                await Task.Delay(50);
            }

            Assert.False(handle.HandleLostToken.IsCancellationRequested);
        }

        await using var after = await other.TryAcquireAsync("sync", TimeSpan.FromSeconds(5));
        Assert.NotNull(after);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task WithoutExtensionTheLockIsFreeAfterItsLease(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(WithoutExtensionTheLockIsFreeAfterItsLease));
        var holder = Locks(server, prefix);
        var other = Locks(server, prefix);

        var handle = await holder.AcquireAsync("sync", TimeSpan.FromMilliseconds(200));

        Assert.True(await Eventually.TrueAsync(async () => await other.TryAcquireAsync("sync", TimeSpan.FromSeconds(5)) is not null, TimeSpan.FromSeconds(5)));

        // The handle's own timer may run a moment after the server let the lease go, on a busy thread pool.
        Assert.True(await Eventually.TrueAsync(() => handle.HandleLostToken.IsCancellationRequested));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnExtensionThatFindsTheLockTakenOverCancelsHandleLostToken(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnExtensionThatFindsTheLockTakenOverCancelsHandleLostToken));
        var holder = Locks(server, prefix, configure: o => o.AutoExtend = true);
        var handle = await holder.AcquireAsync("sync", TimeSpan.FromSeconds(1));

        // Someone else's value in the key, as after a failover or a manual delete and re-acquire.
        await Raw(server, prefix).StringSetAsync(RedisLockStore.LockKey("sync"), "intruder", TimeSpan.FromSeconds(30));

        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(handle.HandleLostToken.IsCancellationRequested), TimeSpan.FromSeconds(5)));
        Assert.False(await handle.ReleaseAsync());
        Assert.Equal("intruder", (string?)await Raw(server, prefix).StringGetAsync(RedisLockStore.LockKey("sync")));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AcquireThrowsTimeoutExceptionWhenTheLockStaysHeld(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AcquireThrowsTimeoutExceptionWhenTheLockStaysHeld));
        var locks = Locks(server, prefix);
        await using var held = await locks.AcquireAsync("busy", TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<TimeoutException>(async () => await locks.AcquireAsync("busy", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await locks.AcquireAsync("busy", TimeSpan.FromSeconds(1), cancellationToken: new CancellationTokenSource(200).Token));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnAcquireCancelledInFlightDoesNotLeaveTheLockTaken(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AnAcquireCancelledInFlightDoesNotLeaveTheLockTaken));
        var locks = Locks(server, prefix);
        var other = Locks(server, prefix);
        for (var i = 0; i < 20; i++)
        {
            var name = $"race:{i}";
            using var cancel = new CancellationTokenSource();
            var attempt = locks.TryAcquireAsync(name, TimeSpan.FromMinutes(1), cancellationToken: cancel.Token).AsTask();
            cancel.CancelAfter(i % 3);
            LockHandle? handle = null;
            try
            {
                handle = await attempt;
            }
            catch (OperationCanceledException)
            {
            }

            if (handle is not null)
            {
                await handle.DisposeAsync();
            }

            // Whether the script ran or not, the name is free again long before the one-minute lease.
            await using var next = await other.TryAcquireAsync(name, TimeSpan.FromSeconds(5), wait: TimeSpan.FromSeconds(5));
            Assert.NotNull(next);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task LockNamesAreEscapedAndBothKeysShareOneHashSlot(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(LockNamesAreEscapedAndBothKeysShareOneHashSlot));
        var locks = Locks(server, prefix);
        const string name = "order:{42}*";

        await using var handle = await locks.AcquireAsync(name, TimeSpan.FromSeconds(5));

        var lockKey = RedisLockStore.LockKey(name);
        Assert.Equal("_hotpath:lock:{order%3A%7B42%7D%2A}", lockKey);
        Assert.True(await Raw(server, prefix).KeyExistsAsync(lockKey));
        var multiplexer = TestServers.Multiplexer(server);
        Assert.Equal(multiplexer.HashSlot(prefix + lockKey), multiplexer.HashSlot(prefix + RedisLockStore.FenceKey(name)));
        await using var different = await locks.TryAcquireAsync("order:{42}", TimeSpan.FromSeconds(5));
        Assert.NotNull(different);
    }

    [Fact]
    public async Task WithTheCacheDisabledLocksExcludeWithinTheProcess()
    {
        var connection = HotpathConnection.Create(new HotpathOptions { RedisUrl = "none" }, NullLoggerFactory.Instance);
        var locks = LockService.Create(connection, new LockOptions(), new HotpathMetrics(), NullLoggerFactory.Instance, TimeProvider.System);
        var inside = 0;
        var overlaps = 0;
        var tokens = new List<long>();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await using var handle = await locks.AcquireAsync("k", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
                if (Interlocked.Increment(ref inside) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                tokens.Add(handle.FencingToken);
                await Task.Delay(1);
                Interlocked.Decrement(ref inside);
            }
        })));

        Assert.Equal(0, overlaps);
        Assert.Equal(tokens.Order(), tokens);
        Assert.IsType<InProcessLockStore>(locks.Store);
        var expiring = await locks.AcquireAsync("lease", TimeSpan.FromMilliseconds(100));
        Assert.True(await Eventually.TrueAsync(async () => await locks.TryAcquireAsync("lease", TimeSpan.FromSeconds(1)) is not null, TimeSpan.FromSeconds(5)));
        Assert.False(await expiring.ReleaseAsync());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AcquisitionsAndTimeoutsAreCountedUnderALabelNeverTheName(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AcquisitionsAndTimeoutsAreCountedUnderALabelNeverTheName));
        using var metrics = new HotpathMetrics();
        var measurements = new List<(string Instrument, long Value, string? Label)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter) && instrument.Name.StartsWith("hotpath.lock.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? label = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "lock")
                {
                    label = tag.Value as string;
                }
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, label));
            }
        });
        listener.Start();
        var locks = Locks(server, prefix, metrics: metrics, configure: o => o.MetricsLabel = static name => name.Split(':')[0]);

        await using (var held = await locks.AcquireAsync("user:alice@example.com", TimeSpan.FromSeconds(5)))
        {
            Assert.Null(await locks.TryAcquireAsync("user:alice@example.com", TimeSpan.FromSeconds(5)));
        }

        Assert.Contains(measurements, m => m is { Instrument: "hotpath.lock.acquisitions", Value: 1, Label: "user" });
        Assert.Contains(measurements, m => m is { Instrument: "hotpath.lock.timeouts", Value: 1, Label: "user" });
        Assert.DoesNotContain(measurements, m => m.Label?.Contains("alice", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task AServerThatCannotBeReachedIsAnExceptionNeverAHeldLock()
    {
        int closedPort;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        var options = new HotpathOptions
        {
            RedisUrl = $"redis://127.0.0.1:{closedPort}",
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            OperationTimeout = TimeSpan.FromMilliseconds(300),
        };
        using var connection = HotpathConnection.Create(options, NullLoggerFactory.Instance);
        var locks = LockService.Create(connection, new LockOptions(), new HotpathMetrics(), NullLoggerFactory.Instance, TimeProvider.System);

        await Assert.ThrowsAnyAsync<RedisException>(async () => await locks.TryAcquireAsync("order:1", TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAnyAsync<RedisException>(async () => await locks.AcquireAsync("order:1", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void AtMostThirtyTwoLockLabelsAreKeptAndTheRestCountAsOther()
    {
        // A label function that returns the name by mistake must not mint a label per lock.
        var metrics = new LockMetrics(new HotpathMetrics(), new LockOptions { MetricsLabel = static name => name });

        var labels = Enumerable.Range(0, 100).Select(i => metrics.Label($"order:{i}")).ToList();

        Assert.Equal(LockMetrics.MaxLabels, labels.Distinct().Count(l => l != LockMetrics.OtherLabel));
        Assert.Equal(100 - LockMetrics.MaxLabels, labels.Count(l => l == LockMetrics.OtherLabel));
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AWaiterPollsNoLongerThanTheHoldersRemainingLease(string server)
    {
        var prefix = TestServers.UniquePrefix(nameof(AWaiterPollsNoLongerThanTheHoldersRemainingLease));

        // Two services: the holder is another process as far as the waiter knows, so no release wakes it.
        var holder = Locks(server, prefix);
        var waiter = Locks(server, prefix, configure: o => (o.MinRetryDelay, o.MaxRetryDelay) = (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)));
        var held = await holder.AcquireAsync("job", TimeSpan.FromMilliseconds(500));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // The holder dies without releasing: its lease ends in half a second, and the waiter's back-off
        // (10 s or more) is cut to what the holder has left.
        await using var next = await waiter.TryAcquireAsync("job", TimeSpan.FromSeconds(5), wait: TimeSpan.FromSeconds(15));

        Assert.NotNull(next);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the waiter took {clock.Elapsed}");
        Assert.True(next.FencingToken > held.FencingToken);
    }
}
