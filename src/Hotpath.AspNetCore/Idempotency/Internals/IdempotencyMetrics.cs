using System.Diagnostics.Metrics;
using Hotpath.Internals;

namespace Hotpath.AspNetCore.Idempotency.Internals;

/// <summary>The middleware's instrument on the <c>Hotpath</c> meter, tagged by outcome only.</summary>
internal sealed class IdempotencyMetrics(HotpathMetrics metrics)
{
    public const string Executed = "executed";
    public const string Replayed = "replayed";
    public const string Conflict = "conflict";
    public const string Mismatch = "mismatch";
    public const string Rejected = "rejected";
    public const string Bypassed = "bypassed";

    private readonly Counter<long> _requests = metrics.Meter.CreateCounter<long>(
        "hotpath.idempotency.requests", "{request}", "Requests to endpoints that require idempotency, by outcome: executed, replayed, conflict (409), mismatch (422), rejected (400/413/503) or bypassed (no key, store unavailable).");

    public void Count(string outcome)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}
