using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.Internals;

/// <summary>
/// The cache's store faults: logged once per burst (<see cref="BurstLog"/>), counted, and fed to the
/// circuit breaker.
/// </summary>
internal sealed class FaultReporter
{
    private readonly ILogger _logger;
    private readonly BurstLog _burst;

    private readonly CircuitBreaker? _breaker;
    private readonly ResilienceOptions? _resilience;
    private readonly HotpathMetrics? _metrics;

    public FaultReporter(ILogger logger, TimeProvider time, TimeSpan interval, ResilienceOptions? resilience = null, HotpathMetrics? metrics = null)
    {
        _logger = logger;
        _burst = new BurstLog(time, interval);
        _resilience = resilience;
        _metrics = metrics;
        _breaker = resilience is null ? null : new CircuitBreaker(resilience, time);
    }

    /// <summary>Whether a call may go to the server now (false while the circuit breaker is open).</summary>
    public bool Allow() => _breaker?.Allow() ?? true;

    public bool CircuitOpen => _breaker?.IsOpen ?? false;

    /// <summary>Total faults seen; read by tests and health reporting.</summary>
    public long TotalFaults => _burst.TotalFaults;

    public static bool IsStoreFault(Exception exception) =>
        exception is RedisException or TimeoutException or ObjectDisposedException;

    public void Report(string operation, Exception exception)
    {
        // Before anything can log or rethrow it.
        StoreExceptionRedaction.RemoveKeys(exception);
        if (_breaker is not null && _breaker.Failed())
        {
            _metrics?.CircuitOpened();
            Log.CircuitOpened(_logger, _resilience!.FailureThreshold, _resilience.BreakDuration);
        }

        if (_burst.ShouldLog(out var suppressed))
        {
            Log.StoreFault(_logger, operation, exception.GetType().Name, suppressed, exception);
        }
    }

    /// <summary>Called after a successful round trip; logs recovery once after a burst of faults.</summary>
    public void Succeeded()
    {
        _breaker?.Succeeded();
        if (_burst.Recovered(out var faults))
        {
            Log.StoreRecovered(_logger, faults);
        }
    }
}
