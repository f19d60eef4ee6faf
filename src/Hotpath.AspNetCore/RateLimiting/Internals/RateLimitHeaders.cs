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
/// decision is caught where it is made: by a <c>HotpathPartitionedRateLimiter</c>, which holds the
/// request, or else through the request's <see cref="IHttpContextAccessor"/>.
/// </summary>
internal sealed class RateLimitHeaders(IHttpContextAccessor accessor, HotpathRateLimitingOptions options)
{
    public const string PolicyHeader = "RateLimit-Policy";
    public const string RateLimitHeader = "RateLimit";
    public const string RetryAfterHeader = "Retry-After";

    private readonly int _rejectionStatusCode = options.RejectionStatusCode;
    private readonly int _unavailableStatusCode = options.UnavailableStatusCode;

    /// <summary>Whether responses carry the headers (<see cref="HotpathRateLimitingOptions.EmitHeaders"/>).</summary>
    public bool Enabled { get; } = options.EmitHeaders;

    /// <summary>The factory's observer: runs on the request's own flow, right after each decision.</summary>
    public void Observe(HotpathRateLimitDecision decision)
    {
        if (accessor.HttpContext is { } context)
        {
            Attach(context, decision);
        }
    }

    /// <summary>Attaches a decision to the request it was made for; its headers are written when the response starts.</summary>
    public static void Attach(HttpContext context, HotpathRateLimitDecision decision)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var feature = context.Features.Get<DecisionsFeature>();
        if (feature is null)
        {
            feature = new DecisionsFeature(context);
            context.Features.Set(feature);
            context.Response.OnStarting(static state => ((DecisionsFeature)state).Write(), feature);
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
            if (Enabled && context.HttpContext.Features.Get<DecisionsFeature>() is null)
            {
                Attach(context.HttpContext, decision);
            }
        }
    }

    /// <summary><c>"name";q=limit;w=seconds</c>: the same for every decision of a policy, so formatted once per policy.</summary>
    private static string PolicyValue(RateLimitPolicyInfo info) =>
        info.PolicyHeader ??= string.Create(CultureInfo.InvariantCulture, $"{Prefix(info)};q={info.Limit};w={Seconds(info.Window)}");

    /// <summary><c>"name";r=remaining;t=seconds</c>: one string, formatted on the stack.</summary>
    private static string StateValue(HotpathRateLimitDecision decision) =>
        string.Create(CultureInfo.InvariantCulture, stackalloc char[128], $"{Prefix(decision.Policy)};r={Math.Max(0, decision.Remaining)};t={Seconds(decision.Reset)}");

    private static string Prefix(RateLimitPolicyInfo info) => info.HeaderPrefix ??= Quote(info.Name);

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

    /// <summary>
    /// The decisions made for one request, the latest per policy name winning, and their headers. Most
    /// requests meet one policy: it is kept in a field, and its headers are written without joining.
    /// </summary>
    private sealed class DecisionsFeature(HttpContext context)
    {
        private HotpathRateLimitDecision? _first;
        private List<HotpathRateLimitDecision>? _more;

        public void Add(HotpathRateLimitDecision decision)
        {
            lock (this)
            {
                if (_first is null || _first.PolicyName == decision.PolicyName)
                {
                    _first = decision;
                    return;
                }

                _more ??= new List<HotpathRateLimitDecision>(1);
                for (var i = 0; i < _more.Count; i++)
                {
                    if (_more[i].PolicyName == decision.PolicyName)
                    {
                        _more[i] = decision;
                        return;
                    }
                }

                _more.Add(decision);
            }
        }

        public Task Write()
        {
            HotpathRateLimitDecision? first;
            HotpathRateLimitDecision[] more;
            lock (this)
            {
                first = _first;
                more = _more is null ? [] : [.. _more];
            }

            if (first is null)
            {
                return Task.CompletedTask;
            }

            var headers = context.Response.Headers;
            var retryAfter = RetryAfter(first, TimeSpan.Zero);
            if (more.Length == 0)
            {
                headers[PolicyHeader] = PolicyValue(first.Policy);
                headers[RateLimitHeader] = StateValue(first);
            }
            else
            {
                var policies = new string[more.Length + 1];
                var states = new string[more.Length + 1];
                policies[0] = PolicyValue(first.Policy);
                states[0] = StateValue(first);
                for (var i = 0; i < more.Length; i++)
                {
                    policies[i + 1] = PolicyValue(more[i].Policy);
                    states[i + 1] = StateValue(more[i]);
                    retryAfter = RetryAfter(more[i], retryAfter);
                }

                headers[PolicyHeader] = string.Join(", ", policies);
                headers[RateLimitHeader] = string.Join(", ", states);
            }

            if (retryAfter > TimeSpan.Zero && context.Response.StatusCode >= 400)
            {
                headers[RetryAfterHeader] = Math.Max(1, Seconds(retryAfter)).ToString(CultureInfo.InvariantCulture);
            }

            return Task.CompletedTask;
        }

        private static TimeSpan RetryAfter(HotpathRateLimitDecision decision, TimeSpan longest) =>
            !decision.IsAcquired && decision.RetryAfter > longest ? decision.RetryAfter : longest;
    }
}
