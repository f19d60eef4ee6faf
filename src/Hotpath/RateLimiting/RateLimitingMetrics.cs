using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hotpath.RateLimiting;

/// <summary>
/// The limiters' instruments on the <c>Hotpath</c> meter, tagged by policy name (chosen by the
/// application, so bounded), never by partition.
/// </summary>
internal sealed class RateLimitingMetrics
{
    private readonly Counter<long> _admitted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _errors;

    public RateLimitingMetrics(Meter meter)
    {
        _admitted = meter.CreateCounter<long>("hotpath.rate_limit.admitted", "{decision}", "Rate limiter decisions that granted the permits; source is 'server', 'allowance' when admitted from a leased batch (local admission), or 'local' when counted in process.");
        _rejected = meter.CreateCounter<long>("hotpath.rate_limit.rejected", "{decision}", "Rate limiter decisions that refused the permits; reason is 'limit', or 'unavailable' when the server could not be reached (fail-closed).");
        _errors = meter.CreateCounter<long>("hotpath.rate_limit.errors", "{error}", "Rate limiter decisions that could not reach the server.");
    }

    public void Decided(HotpathRateLimitDecision decision)
    {
        if (decision.IsAcquired)
        {
            if (_admitted.Enabled)
            {
                var tags = new TagList { { "policy", decision.PolicyName }, { "source", decision.IsLocal ? "local" : decision.IsFromAllowance ? "allowance" : "server" } };
                _admitted.Add(1, tags);
            }
        }
        else if (_rejected.Enabled)
        {
            var tags = new TagList { { "policy", decision.PolicyName }, { "reason", decision.IsUnavailable ? "unavailable" : "limit" } };
            _rejected.Add(1, tags);
        }
    }

    public void Error(string policy)
    {
        if (_errors.Enabled)
        {
            _errors.Add(1, new KeyValuePair<string, object?>("policy", policy));
        }
    }
}
