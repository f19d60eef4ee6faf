using System.Globalization;
using System.Text;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>
/// Attaches every decision a Hotpath limiter makes during a request to that request, and writes them
/// as response headers when the response starts (IETF httpapi rate-limit-headers draft):
/// <c>RateLimit-Policy: "login";q=5;w=60</c>, <c>RateLimit: "login";r=4;t=60</c>, and <c>Retry-After</c>
/// on a refusal. The framework's middleware keeps the lease of an admitted request to itself, so the
/// decision is caught where it is made, through the request's <see cref="IHttpContextAccessor"/>.
/// </summary>
internal sealed class RateLimitHeaders(IHttpContextAccessor accessor, HotpathRateLimitingOptions options)
{
    public const string PolicyHeader = "RateLimit-Policy";
    public const string RateLimitHeader = "RateLimit";
    public const string RetryAfterHeader = "Retry-After";

    private readonly int _rejectionStatusCode = options.RejectionStatusCode;
    private readonly int _unavailableStatusCode = options.UnavailableStatusCode;

    /// <summary>The factory's observer: runs on the request's own flow, right after each decision.</summary>
    public void Observe(HotpathRateLimitDecision decision)
    {
        var context = accessor.HttpContext;
        if (context is null || context.Response.HasStarted)
        {
            return;
        }

        var feature = context.Features.Get<DecisionsFeature>();
        if (feature is null)
        {
            feature = new DecisionsFeature();
            context.Features.Set(feature);
            context.Response.OnStarting(static state => Write((HttpContext)state), context);
        }

        feature.Add(decision);
    }

    /// <summary>Sets the status of a response refused by a Hotpath limiter (the framework's <c>OnRejected</c> hook).</summary>
    public void Rejected(OnRejectedContext context)
    {
        if (context.Lease.TryGetMetadata(HotpathRateLimitMetadata.Decision, out var decision) && decision is not null)
        {
            context.HttpContext.Response.StatusCode = decision.IsUnavailable ? _unavailableStatusCode : _rejectionStatusCode;

            // A decision from a limiter created outside the factory's observer still gets its headers.
            if (context.HttpContext.Features.Get<DecisionsFeature>() is null)
            {
                Observe(decision);
            }
        }
    }

    private static Task Write(HttpContext context)
    {
        var decisions = context.Features.Get<DecisionsFeature>()?.Snapshot();
        if (decisions is null || decisions.Count == 0)
        {
            return Task.CompletedTask;
        }

        var headers = context.Response.Headers;
        var policy = new StringBuilder();
        var state = new StringBuilder();
        var retryAfter = TimeSpan.Zero;
        foreach (var decision in decisions)
        {
            if (policy.Length > 0)
            {
                policy.Append(", ");
                state.Append(", ");
            }

            var info = decision.Policy;
            info.HeaderPrefix ??= Quote(info.Name);
            policy.Append(info.HeaderPrefix).Append(";q=").Append(info.Limit.ToString(CultureInfo.InvariantCulture))
                .Append(";w=").Append(Seconds(info.Window).ToString(CultureInfo.InvariantCulture));
            state.Append(info.HeaderPrefix).Append(";r=").Append(Math.Max(0, decision.Remaining).ToString(CultureInfo.InvariantCulture))
                .Append(";t=").Append(Seconds(decision.Reset).ToString(CultureInfo.InvariantCulture));
            if (!decision.IsAcquired && decision.RetryAfter > retryAfter)
            {
                retryAfter = decision.RetryAfter;
            }
        }

        headers[PolicyHeader] = policy.ToString();
        headers[RateLimitHeader] = state.ToString();
        if (retryAfter > TimeSpan.Zero && context.Response.StatusCode >= 400)
        {
            headers[RetryAfterHeader] = Math.Max(1, Seconds(retryAfter)).ToString(CultureInfo.InvariantCulture);
        }

        return Task.CompletedTask;
    }

    /// <summary>Whole seconds, rounded up: a client that waits this long is never early.</summary>
    private static long Seconds(TimeSpan value) => (long)Math.Ceiling(value.TotalSeconds);

    /// <summary>A structured-field string: printable ASCII, with <c>"</c> and <c>\</c> escaped.</summary>
    internal static string Quote(string name)
    {
        var builder = new StringBuilder(name.Length + 2).Append('"');
        foreach (var c in name)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\').Append(c);
            }
            else
            {
                builder.Append(c is >= ' ' and <= '~' ? c : '_');
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>The decisions made for one request; the latest per policy name wins.</summary>
    private sealed class DecisionsFeature
    {
        private readonly List<HotpathRateLimitDecision> _decisions = new(2);

        public void Add(HotpathRateLimitDecision decision)
        {
            lock (_decisions)
            {
                var index = _decisions.FindIndex(d => d.PolicyName == decision.PolicyName);
                if (index >= 0)
                {
                    _decisions[index] = decision;
                }
                else
                {
                    _decisions.Add(decision);
                }
            }
        }

        public List<HotpathRateLimitDecision> Snapshot()
        {
            lock (_decisions)
            {
                return [.. _decisions];
            }
        }
    }
}
