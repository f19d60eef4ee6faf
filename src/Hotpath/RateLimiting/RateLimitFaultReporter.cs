using Hotpath.Internals;
using Microsoft.Extensions.Logging;

namespace Hotpath.RateLimiting;

/// <summary>
/// Logs the limiters' server faults once per burst: the first fault after a quiet interval is logged
/// with the count of those not logged since; the rest only count. Recovery is logged once.
/// </summary>
internal sealed class RateLimitFaultReporter
{
    private readonly ILogger _logger;
    private readonly BurstLog _burst;

    public RateLimitFaultReporter(ILogger logger, TimeProvider time, TimeSpan interval)
    {
        _logger = logger;
        _burst = new BurstLog(time, interval);
    }

    public long TotalFaults => _burst.TotalFaults;

    public void Report(RateLimitAlgorithm algorithm, Exception exception)
    {
        if (!_burst.ShouldLog(out var suppressed))
        {
            return;
        }

        var outcome = algorithm.FailureMode == RateLimiterFailureMode.FailOpen
            ? "admitted and counted in process (fail-open)"
            : "rejected as unavailable (fail-closed)";
        Log.ServerUnreachable(_logger, algorithm.Policy.Name, exception.GetType().Name, outcome, suppressed, exception);
    }

    public void Succeeded()
    {
        if (_burst.Recovered(out var faults))
        {
            Log.ServerRecovered(_logger, faults);
        }
    }
}
