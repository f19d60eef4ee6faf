using System.Diagnostics.Metrics;
using Hotpath.Internals;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>The response cache's instruments on the <c>Hotpath</c> meter, labelled by result and a fixed reason, never by path or key.</summary>
internal sealed class ResponseCacheMetrics
{
    public const string Hit = "hit";
    public const string Miss = "miss";
    public const string Bypass = "bypass";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _notStored;

    public ResponseCacheMetrics(HotpathMetrics metrics)
    {
        _requests = metrics.Meter.CreateCounter<long>(
            "hotpath.response_cache.requests", "{request}", "Requests to response-cached endpoints by result: hit (served from the cache), miss (the handler ran) or bypass (the cache was not used; the reason label says why).");
        _notStored = metrics.Meter.CreateCounter<long>(
            "hotpath.response_cache.not_stored", "{response}", "Responses of cacheable requests that were served but not stored, by reason.");
    }

    public void Count(string result)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("result", result));
        }
    }

    public void Bypassed(ResponseCacheReason reason)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("result", Bypass), new KeyValuePair<string, object?>("reason", reason.Code));
        }
    }

    public void NotStored(ResponseCacheReason reason)
    {
        if (_notStored.Enabled)
        {
            _notStored.Add(1, new KeyValuePair<string, object?>("reason", reason.Code));
        }
    }
}
