using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// Tells other instances which memory-tier entries to drop, over the server's pub/sub. Messages are
/// small (a key, an escaped tag, or "clear"), never values: <c>1|instance|sentUnixMs|kind|payload</c>
/// with kind <c>k</c> (key), <c>t</c> (tag) or <c>c</c> (clear everything, after a pattern deletion).
/// An instance ignores its own messages. While its subscription is down the instance cannot know what
/// it missed, so its memory tier is cleared and not used until the subscription is back.
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
    private int _recovering;
    private volatile bool _disposed;

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

    public Task PublishTagAsync(string escapedTag) => PublishAsync("t", escapedTag);

    public Task PublishClearAsync() => PublishAsync("c", string.Empty);

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
                _memory.Trust();
                Log.BackplaneSubscribed(_logger);
                return;
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
        if (parts.Length != 5 || parts[0] != "1" || parts[1] == _instance)
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
            default:
                _memory.Clear();
                _invalidated?.Invoke(InvalidationKind.Clear, string.Empty);
                break;
        }

        var lag = long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sent)
            ? Math.Max(0, _time.GetUtcNow().ToUnixTimeMilliseconds() - sent)
            : 0;
        _metrics.BackplaneReceived(parts[3], lag);
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
                if (_subscriber.IsConnected(_channel))
                {
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
}
