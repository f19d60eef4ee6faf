using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// Tells other instances which memory-tier entries to drop, over the server's pub/sub. Messages are
/// small (a key, an escaped tag, or "clear"), never values: <c>1|instance|sentUnixMs|kind|payload</c>
/// with kind <c>k</c> (key), <c>t</c> (tag), <c>c</c> (clear everything, after a pattern deletion),
/// <c>r</c> (a reset; the payload is the new cache generation) or <c>p</c> (a probe an instance sends
/// to itself). An instance ignores its own messages but its probes.
/// While its subscription is down the instance cannot know what it missed, so its memory tier is cleared
/// and not used until the subscription is back, which is proven by hearing its own probe: a connection
/// that reports connected may not have re-sent SUBSCRIBE yet, but a message that came back through the
/// channel did, so every invalidation published after it is heard too.
/// </summary>
internal sealed class Backplane : IDisposable
{
    private readonly HotpathConnection _connection;
    private readonly MemoryTier _memory;
    private readonly HotpathMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RedisChannel _channel;
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly ISubscriber _subscriber;
    private readonly Action<InvalidationKind, string>? _invalidated;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    private int _recovering;
    private volatile bool _disposed;
    private Probe? _probe;

    // invalidated: told of every invalidation heard from another instance, after the memory tier has dropped what it names.
    public Backplane(HotpathConnection connection, MemoryTier memory, HotpathMetrics metrics, ILogger logger, TimeProvider time, Action<InvalidationKind, string>? invalidated = null)
    {
        _connection = connection;
        _invalidated = invalidated;
        _memory = memory;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _channel = RedisChannel.Literal(connection.KeyPrefix + "_hotpath:backplane");
        var multiplexer = connection.Multiplexer!;
        _subscriber = multiplexer.GetSubscriber();

        // Not trusted until subscribed: invalidations sent before then would be missed.
        _memory.Distrust();
        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        _ = SubscribeAsync();
    }

    public Task PublishKeyAsync(string key) => PublishAsync("k", key);

    /// <summary>Announces an invalidation; for a reset (<see cref="InvalidationKind.Clear"/>) the payload is the new generation.</summary>
    public Task PublishAsync(InvalidationKind kind, string payload) => kind switch
    {
        InvalidationKind.Key => PublishAsync("k", payload),
        InvalidationKind.Tag => PublishAsync("t", payload),
        InvalidationKind.Pattern => PublishAsync("c", string.Empty),
        _ => PublishAsync("r", payload),
    };

    public void Dispose()
    {
        _disposed = true;
        var multiplexer = _connection.Multiplexer!;
        multiplexer.ConnectionFailed -= OnConnectionFailed;
        multiplexer.ConnectionRestored -= OnConnectionRestored;
        try
        {
            _subscriber.Unsubscribe(_channel, OnMessage, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // Shutting down: the connection may already be gone.
        }
    }

    private async Task PublishAsync(string kind, string payload)
    {
        var sent = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        await _subscriber.PublishAsync(_channel, $"1|{_instance}|{sent}|{kind}|{payload}").ConfigureAwait(false);
        _metrics.BackplaneSent(kind);
    }

    private async Task SubscribeAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _subscriber.SubscribeAsync(_channel, OnMessage).ConfigureAwait(false);
                if (await HearsItselfAsync().ConfigureAwait(false))
                {
                    // Forget what the gap may have hidden before trusting the tier: once it reads as
                    // trusted, no run that began before is shared any more.
                    _invalidated?.Invoke(InvalidationKind.Clear, string.Empty);
                    _memory.Trust();
                    Log.BackplaneSubscribed(_logger);
                    return;
                }

                if (_disposed)
                {
                    return;
                }
            }
            catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
            {
                // The connection restores the subscription on its own once it reconnects; keep trying
                // in case it was never made.
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * (attempt + 1), 2000)), _time).ConfigureAwait(false);
            }
        }
    }

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        var text = (string?)message;
        if (text is null)
        {
            return;
        }

        var parts = text.Split('|', 5);
        if (parts.Length != 5 || parts[0] != "1")
        {
            return;
        }

        if (parts[3] == "p")
        {
            if (parts[1] == _instance && Volatile.Read(ref _probe) is { } probe && probe.Nonce == parts[4])
            {
                probe.Heard.TrySetResult();
            }

            return;
        }

        if (parts[1] == _instance)
        {
            return;
        }

        switch (parts[3])
        {
            case "k":
                _memory.Evict(parts[4]);
                _invalidated?.Invoke(InvalidationKind.Key, parts[4]);
                break;
            case "t":
                _memory.InvalidateTag(parts[4]);
                _invalidated?.Invoke(InvalidationKind.Tag, parts[4]);
                break;
            case "r":
                _memory.Clear();
                _invalidated?.Invoke(InvalidationKind.Clear, parts[4]);
                break;
            default:
                _memory.Clear();
                _invalidated?.Invoke(InvalidationKind.Pattern, string.Empty);
                break;
        }

        var lag = long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sent)
            ? Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() - sent)
            : 0;
        _metrics.BackplaneReceived(parts[3], lag);
    }

    /// <summary>
    /// Publishes a probe and waits, bounded, to hear it back: proof that the subscription is in effect on
    /// the server, not only that its connection is up. False when it did not come back in time.
    /// </summary>
    private async Task<bool> HearsItselfAsync()
    {
        var probe = new Probe(Guid.NewGuid().ToString("N"));
        Volatile.Write(ref _probe, probe);
        try
        {
            await PublishAsync("p", probe.Nonce).ConfigureAwait(false);
            // Real time, whatever clock the cache runs on: this waits on the network.
            await probe.Heard.Task.WaitAsync(ProbeTimeout).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException || FaultReporter.IsStoreFault(ex))
        {
            return false;
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }

        _memory.Distrust();
        Log.BackplaneLost(_logger, e.FailureType.ToString());

        // Connection events can arrive out of order, so trust comes back only from watching the
        // subscription itself, never from a "restored" event alone.
        if (Interlocked.CompareExchange(ref _recovering, 1, 0) == 0)
        {
            _ = WatchUntilSubscribedAsync();
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription && !_memory.IsTrusted && Interlocked.CompareExchange(ref _recovering, 1, 0) == 0)
        {
            _ = WatchUntilSubscribedAsync();
        }
    }

    private async Task WatchUntilSubscribedAsync()
    {
        try
        {
            while (!_disposed)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
                if (_subscriber.IsConnected(_channel) && await HearsItselfAsync().ConfigureAwait(false))
                {
                    // Anything may have been announced in the gap, a reset included: forget it
                    // before the tier is trusted again.
                    _invalidated?.Invoke(InvalidationKind.Clear, string.Empty);
                    _memory.Trust();
                    Log.BackplaneRestored(_logger);
                    return;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _recovering, 0);
        }
    }

    private sealed class Probe(string nonce)
    {
        public string Nonce { get; } = nonce;

        public TaskCompletionSource Heard { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
