using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// Hotpath's output-cache policy: the whole rule set for one endpoint. It replaces the framework's
/// default policy rather than adding to it, so nothing it refuses can be let in by another rule.
/// </summary>
/// <remarks>
/// Before the lookup it decides whether the request may use the cache at all (GET or HEAD, not
/// authenticated unless per-user, no unknown query key) and builds the key's vary-by text; on a hit it
/// marks the response <c>HIT</c>; after the handler it re-checks everything the response and the now
/// authenticated request say (status, <c>Set-Cookie</c>, <c>Cache-Control</c>, size, user) before the
/// framework may store it, so a cache placed before authentication cannot store a signed-in response.
/// </remarks>
internal sealed class ResponseCachePolicy : IOutputCachePolicy
{
    public TimeSpan? Duration { get; init; }

    public string[] Tags { get; init; } = [];

    /// <summary>The query keys the endpoint names; null when every key varies the key.</summary>
    public HashSet<string>? QueryKeys { get; init; }

    public UnknownQueryKeyHandling UnknownQueryKeys { get; init; }

    /// <summary>Lower-cased header names.</summary>
    public string[] HeaderNames { get; init; } = [];

    public bool? VaryByHost { get; init; }

    public bool PerUser { get; init; }

    public int[]? StatusCodes { get; init; }

    private HashSet<int>? _statusCodeSet;

    internal static void ValidateStatus(int status)
    {
        if (status is < 100 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A status code is between 100 and 599.");
        }
    }

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var method = http.Request.Method;
        var isGet = HttpMethods.IsGet(method);
        var runtime = ResponseCacheRuntime.From(http);
        if (!isGet && !HttpMethods.IsHead(method))
        {
            context.EnableOutputCaching = false;
            context.AllowCacheLookup = false;
            context.AllowCacheStorage = false;
            runtime.Metrics.Bypassed(ResponseCacheReason.Method);
            return ValueTask.CompletedTask;
        }

        if (StringValues.IsNullOrEmpty(http.Request.Headers.Cookie))
        {
            return DecideAsync(context, runtime, isGet, cookieNames: null, hasCookies: false, cancellationToken);
        }

        var names = runtime.GetAuthenticationCookieNamesAsync();
        return names.IsCompletedSuccessfully
            ? DecideAsync(context, runtime, isGet, names.Result, hasCookies: true, cancellationToken)
            : AwaitNamesThenDecideAsync(context, runtime, isGet, names, cancellationToken);
    }

    private async ValueTask AwaitNamesThenDecideAsync(OutputCacheContext context, ResponseCacheRuntime runtime, bool isGet, ValueTask<string[]?> names, CancellationToken cancellationToken)
    {
        var cookieNames = await names.ConfigureAwait(false);
        await DecideAsync(context, runtime, isGet, cookieNames, hasCookies: true, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask DecideAsync(OutputCacheContext context, ResponseCacheRuntime runtime, bool isGet, string[]? cookieNames, bool hasCookies, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var options = runtime.Options;
        var feature = new ResponseCacheFeature(runtime, http, StatusCodeSet(runtime));
        http.Features.Set(feature);

        context.EnableOutputCaching = true;
        // Hotpath waits for a concurrent identical miss itself, with a bound; the framework's lock waits without one.
        context.AllowLocking = false;
        context.ResponseExpirationTimeSpan = Duration ?? options.DefaultDuration;
        var varyByHost = VaryByHost ?? options.VaryByHost;
        context.CacheVaryByRules.VaryByHost = varyByHost;
        feature.KeyedHeaders = HeaderNames;
        feature.KeyedByHost = varyByHost;
        foreach (var tag in Tags)
        {
            context.Tags.Add(tag);
        }

        ResponseCacheReason? bypass = null;
        string? userId = null;
        var userAuthenticated = IsAuthenticated(http.User);
        if (userAuthenticated || HasCredentials(request, cookieNames, hasCookies))
        {
            feature.AuthenticatedAtLookup = true;
            if (!PerUser)
            {
                bypass = ResponseCacheReason.Authenticated;
            }
            else if (!userAuthenticated)
            {
                bypass = ResponseCacheReason.CredentialsNotAuthenticated;
            }
            else if ((userId = FindUserId(http.User, options.UserIdClaimType)) is null)
            {
                bypass = ResponseCacheReason.NoUserId;
            }
        }

        var vary = bypass is null ? ResponseCacheKey.BuildVary(request, this, userId, out bypass) : null;
        if (vary is null)
        {
            context.AllowCacheLookup = false;
            context.AllowCacheStorage = false;
            feature.Bypassed = true;
            runtime.Metrics.Bypassed(bypass!);
            Log.Bypassed(runtime.Logger, bypass!.Text);
            return ValueTask.CompletedTask;
        }

        context.CacheVaryByRules.VaryByValues[ResponseCacheKey.VaryByValueName] = vary;
        feature.KeyedUserId = userId;
        feature.Storing = isGet;
        feature.Tags = Tags;
        context.AllowCacheLookup = true;
        // HEAD is answered from the GET entry (see HotpathOutputCacheStore) and never stores: its empty
        // body must not become the GET response.
        context.AllowCacheStorage = isGet;
        return runtime.CoalesceAsync(feature, ResponseCacheKey.Coalescing(request, varyByHost, vary), canLead: isGet, cancellationToken);
    }

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        if (context.HttpContext.Features.Get<ResponseCacheFeature>() is { } feature)
        {
            if (feature.Runtime.StatusHeaderName is { } header)
            {
                // Set before the framework copies the stored headers, which never hold it (MISS is added
                // only after the framework has taken its copy of the headers).
                context.HttpContext.Response.Headers[header] = "HIT";
            }

            feature.Runtime.Metrics.Count(ResponseCacheMetrics.Hit);
            feature.Runtime.LookupHit(feature);
        }

        return ValueTask.CompletedTask;
    }

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellationToken)
    {
        if (!context.AllowCacheStorage || context.HttpContext.Features.Get<ResponseCacheFeature>() is not { } feature)
        {
            return ValueTask.CompletedTask;
        }

        var refusal = StoreRefusal(feature);
        if (refusal is null && context.HttpContext.Response.ContentLength > feature.Runtime.Options.MaximumBodySize)
        {
            refusal = ResponseCacheReason.TooLarge;
        }

        if (refusal is not null)
        {
            context.AllowCacheStorage = false;
            feature.NotStored(refusal);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Why the finished response must not be stored, or null. Checked when the handler is done, so it
    /// sees the user that authentication (wherever it sits in the pipeline) has set by then.
    /// </summary>
    internal static ResponseCacheReason? StoreRefusal(ResponseCacheFeature feature)
    {
        var http = feature.HttpContext;
        var response = http.Response;
        if (!feature.StatusCodes.Contains(response.StatusCode))
        {
            return ResponseCacheReason.Status;
        }

        var headers = response.Headers;
        if (!StringValues.IsNullOrEmpty(headers.SetCookie))
        {
            return ResponseCacheReason.SetCookie;
        }

        var cacheControl = headers.CacheControl;
        if (!StringValues.IsNullOrEmpty(cacheControl)
            && (HeaderUtilities.ContainsCacheDirective(cacheControl, CacheControlHeaderValue.NoStoreString)
                || HeaderUtilities.ContainsCacheDirective(cacheControl, CacheControlHeaderValue.PrivateString)))
        {
            return ResponseCacheReason.CacheControl;
        }

        // The handler says the response depends on request headers: stored only if the key holds each of them.
        var vary = headers.Vary;
        if (!StringValues.IsNullOrEmpty(vary) && !VariesOnlyByKeyedHeaders(vary, feature))
        {
            return ResponseCacheReason.Vary;
        }

        var authenticated = IsAuthenticated(http.User);
        if (feature.KeyedUserId is null)
        {
            if (authenticated || !StringValues.IsNullOrEmpty(http.Request.Headers.Authorization))
            {
                if (!feature.AuthenticatedAtLookup)
                {
                    feature.Runtime.WarnAuthenticatedAfterLookup();
                }

                return ResponseCacheReason.AuthenticatedAfterLookup;
            }
        }
        else if (!authenticated || !string.Equals(FindUserId(http.User, feature.Runtime.Options.UserIdClaimType), feature.KeyedUserId, StringComparison.Ordinal))
        {
            return ResponseCacheReason.OtherUser;
        }

        return null;
    }

    private static bool VariesOnlyByKeyedHeaders(StringValues vary, ResponseCacheFeature feature)
    {
        foreach (var value in vary)
        {
            foreach (var range in (value ?? string.Empty).AsSpan().Split(','))
            {
                var name = (value ?? string.Empty).AsSpan()[range].Trim();
                if (name.IsEmpty)
                {
                    continue;
                }

                if (name is "*")
                {
                    return false;
                }

                if (feature.KeyedByHost && name.Equals("host", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var keyed = false;
                foreach (var header in feature.KeyedHeaders)
                {
                    if (name.Equals(header, StringComparison.OrdinalIgnoreCase))
                    {
                        keyed = true;
                        break;
                    }
                }

                if (!keyed)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private HashSet<int> StatusCodeSet(ResponseCacheRuntime runtime) =>
        StatusCodes is null ? runtime.DefaultStatusCodes : _statusCodeSet ??= [.. StatusCodes];

    internal static bool IsAuthenticated(ClaimsPrincipal? user)
    {
        if (user is null)
        {
            return false;
        }

        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }

    private static string? FindUserId(ClaimsPrincipal user, string claimType)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated && identity.FindFirst(claimType)?.Value is { Length: > 0 } id)
            {
                return id;
            }
        }

        return null;
    }

    private static bool HasCredentials(HttpRequest request, string[]? cookieNames, bool hasCookies)
    {
        if (!StringValues.IsNullOrEmpty(request.Headers.Authorization))
        {
            return true;
        }

        if (!hasCookies)
        {
            return false;
        }

        if (cookieNames is null)
        {
            // The authentication cookies could not be determined: any cookie might be one.
            return true;
        }

        var cookies = request.Cookies;
        foreach (var name in cookieNames)
        {
            if (cookies.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }
}
