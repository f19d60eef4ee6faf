using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// Logs store faults once per burst: the first fault after a quiet interval is logged with the count
/// of those swallowed since the last report; the rest only count.
/// </summary>
internal sealed class FaultReporter
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _lastReportTimestamp = long.MinValue;
    private long _suppressed;
    private long _faultsSinceSuccess;

    private readonly CircuitBreaker? _breaker;
    private readonly ResilienceOptions? _resilience;
    private readonly HotpathMetrics? _metrics;

    public FaultReporter(ILogger logger, TimeProvider time, TimeSpan interval, ResilienceOptions? resilience = null, HotpathMetrics? metrics = null)
    {
        _logger = logger;
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
        _resilience = resilience;
        _metrics = metrics;
        _breaker = resilience is null ? null : new CircuitBreaker(resilience, time);
    }

    /// <summary>Whether a call may go to the server now (false while the circuit breaker is open).</summary>
    public bool Allow() => _breaker?.Allow() ?? true;

    public bool CircuitOpen => _breaker?.IsOpen ?? false;

    /// <summary>Total faults seen; read by tests and health reporting.</summary>
    public long TotalFaults;

    public static bool IsStoreFault(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    public void Report(string operation, Exception exception)
    {
        // Before anything can log or rethrow it.
        StoreExceptionRedaction.RemoveKeys(exception);
        Interlocked.Increment(ref TotalFaults);
        Interlocked.Increment(ref _faultsSinceSuccess);
        if (_breaker is not null && _breaker.Failed())
        {
            _metrics?.CircuitOpened();
            Log.CircuitOpened(_logger, _resilience!.FailureThreshold, _resilience.BreakDuration);
        }

        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastReportTimestamp);
        if (last != long.MinValue && now - last < _intervalTicks)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        if (Interlocked.CompareExchange(ref _lastReportTimestamp, now, last) != last)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        var suppressed = Interlocked.Exchange(ref _suppressed, 0);
        Log.StoreFault(_logger, operation, exception.GetType().Name, suppressed, exception);
    }

    /// <summary>Called after a successful round trip; logs recovery once after a burst of faults.</summary>
    public void Succeeded()
    {
        _breaker?.Succeeded();
        if (Volatile.Read(ref _faultsSinceSuccess) == 0)
        {
            return;
        }

        var faults = Interlocked.Exchange(ref _faultsSinceSuccess, 0);
        if (faults > 0)
        {
            Log.StoreRecovered(_logger, faults);
        }
    }
}
