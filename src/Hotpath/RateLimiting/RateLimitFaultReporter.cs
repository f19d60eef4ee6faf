using Microsoft.Extensions.Logging;

namespace Hotpath.RateLimiting;

/// <summary>
/// Logs the limiters' server faults once per burst: the first fault after a quiet interval is logged
/// with the count of those not logged since; the rest only count. Recovery is logged once.
/// </summary>
internal sealed class RateLimitFaultReporter
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _lastReportTimestamp = long.MinValue;
    private long _suppressed;
    private long _faultsSinceSuccess;
    private long _totalFaults;

    public RateLimitFaultReporter(ILogger logger, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    public long TotalFaults => Volatile.Read(ref _totalFaults);

    public void Report(RateLimitAlgorithm algorithm, Exception exception)
    {
        Interlocked.Increment(ref _totalFaults);
        Interlocked.Increment(ref _faultsSinceSuccess);
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastReportTimestamp);
        if ((last != long.MinValue && now - last < _intervalTicks)
            || Interlocked.CompareExchange(ref _lastReportTimestamp, now, last) != last)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        var suppressed = Interlocked.Exchange(ref _suppressed, 0);
        var outcome = algorithm.FailureMode == RateLimiterFailureMode.FailOpen
            ? "admitted and counted in process (fail-open)"
            : "rejected as unavailable (fail-closed)";
        Log.ServerUnreachable(_logger, algorithm.Policy.Name, exception.GetType().Name, outcome, suppressed, exception);
    }

    public void Succeeded()
    {
        if (Volatile.Read(ref _faultsSinceSuccess) == 0)
        {
            return;
        }

        var faults = Interlocked.Exchange(ref _faultsSinceSuccess, 0);
        if (faults > 0)
        {
            Log.ServerRecovered(_logger, faults);
        }
    }
}
