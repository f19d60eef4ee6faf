using System.Collections.Concurrent;
using System.Diagnostics;
using Hotpath.Internals;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// The response cache's process-wide state: options, the authentication cookie names, and the requests
/// currently running a handler for a key (so identical concurrent misses wait for one of them).
/// </summary>
internal sealed class ResponseCacheRuntime
{
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<CoalescingKey, object> _inFlight = new();
    private long _lastSweep;
    private Task<string[]?>? _authenticationCookieNames;
    private int _warnedAboutOrder;
    private int _waiting;

    public ResponseCacheRuntime(IOptions<HotpathResponseCacheOptions> options, HotpathCache cache, ILoggerFactory loggerFactory, ResponseCacheMetrics metrics, IServiceProvider services, TimeProvider? time = null)
    {
        Cache = cache;
        Options = options.Value;
        Options.Validate();
        Logger = loggerFactory.CreateLogger("Hotpath.ResponseCache");
        Metrics = metrics;
        _services = services;
        _time = time ?? TimeProvider.System;
        StatusHeaderName = string.IsNullOrEmpty(Options.CacheStatusHeaderName) ? null : Options.CacheStatusHeaderName;
        DefaultStatusCodes = [.. Options.CacheableStatusCodes];
        HitMemoTicks = _time.TimestampFrequency;
        SweepIntervalTicks = 10 * _time.TimestampFrequency;
        _lastSweep = _time.GetTimestamp();
    }

    /// <summary>How long a key counts as recently hit: one second. Only decides who waits, never what is served.</summary>
    private long HitMemoTicks { get; }

    /// <summary>How often keys no longer recently hit are forgotten: ten seconds.</summary>
    private long SweepIntervalTicks { get; }

    public HotpathResponseCacheOptions Options { get; }

    public ILogger Logger { get; }

    public ResponseCacheMetrics Metrics { get; }

    public HotpathCache Cache { get; }

    public string? StatusHeaderName { get; }

    public HashSet<int> DefaultStatusCodes { get; }

    /// <summary>Requests waiting right now for a concurrent identical request; read by tests.</summary>
    public int WaitingCount => Volatile.Read(ref _waiting);

    /// <summary>
    /// The application's runtime: from the endpoint's metadata where <c>CacheResponse</c> put it (no
    /// request service scope is created), else from the request's services.
    /// </summary>
    public static ResponseCacheRuntime From(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ResponseCacheRuntime>()
        ?? context.RequestServices.GetService<ResponseCacheRuntime>()
        ?? throw new InvalidOperationException(
            "An endpoint uses Hotpath's response cache but its services are not registered: call services.AddHotpath(…).AddResponseCache() and app.UseHotpathResponseCache().");

    /// <summary>
    /// The cookie names that mark a request as authenticated; null when they could not be determined, in
    /// which case any cookie does. Read once (the schemes are read at the first cached request).
    /// </summary>
    public ValueTask<string[]?> GetAuthenticationCookieNamesAsync()
    {
        var task = Volatile.Read(ref _authenticationCookieNames);
        if (task is null)
        {
            task = LoadAuthenticationCookieNamesAsync();
            task = Interlocked.CompareExchange(ref _authenticationCookieNames, task, null) ?? task;
        }

        return task.IsCompletedSuccessfully ? new ValueTask<string[]?>(task.Result) : new ValueTask<string[]?>(task);
    }

    private async Task<string[]?> LoadAuthenticationCookieNamesAsync()
    {
        var names = new List<string>(Options.AuthenticationCookieNames);

        // Session state is per visitor: a request that carries the session cookie is as personal as a signed-in one.
        if (_services.GetService<Microsoft.AspNetCore.Session.ISessionStore>() is not null)
        {
            names.Add(_services.GetService<IOptions<Microsoft.AspNetCore.Builder.SessionOptions>>()?.Value.Cookie.Name ?? Microsoft.AspNetCore.Session.SessionDefaults.CookieName);
        }

        if (Options.DetectAuthenticationCookies && _services.GetService<IAuthenticationSchemeProvider>() is { } schemes)
        {
            try
            {
                var cookieOptions = _services.GetService<IOptionsMonitor<CookieAuthenticationOptions>>();
                foreach (var scheme in await schemes.GetAllSchemesAsync().ConfigureAwait(false))
                {
                    if (cookieOptions is not null && typeof(CookieAuthenticationHandler).IsAssignableFrom(scheme.HandlerType))
                    {
                        // A chunked cookie always keeps its base name for the first chunk, so the name is enough.
                        names.Add(cookieOptions.Get(scheme.Name).Cookie.Name ?? CookieAuthenticationDefaults.CookiePrefix + scheme.Name);
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException)
            {
                Log.AuthenticationSchemesUnavailable(Logger, ex.GetType().Name, ex);
                return null;
            }
        }

        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public void WarnAuthenticatedAfterLookup()
    {
        if (Interlocked.Exchange(ref _warnedAboutOrder, 1) == 0)
        {
            Log.AuthenticatedAfterLookup(Logger);
        }
    }

    /// <summary>
    /// Lets one GET per key run the handler while identical requests wait for it (at most
    /// <see cref="HotpathResponseCacheOptions.MissWaitTimeout"/>), then look the stored response up.
    /// A HEAD request only ever waits, since it stores nothing.
    /// </summary>
    /// <remarks>
    /// A request for a key nobody is working on leads: identical requests arriving during its lookup
    /// wait for it, so even a burst of simultaneous misses runs the handler once. When the leader's
    /// lookup hits, the key is remembered as recently hit for <see cref="HitMemoTicks"/>: requests for
    /// it then go straight to their own lookup, without waiting or allocating, which keeps a hot
    /// entry's hits from queueing behind each other. If such a request misses (the entry was just
    /// invalidated or expired), it takes the lead when it starts the handler; only requests whose
    /// lookups overlapped with its lookup run the handler too.
    /// </remarks>
    public ValueTask CoalesceAsync(ResponseCacheFeature feature, CoalescingKey key, bool canLead, CancellationToken cancellationToken)
    {
        if (Options.MissWaitTimeout <= TimeSpan.Zero)
        {
            return ValueTask.CompletedTask;
        }

        feature.CoalescingKey = key;
        while (true)
        {
            if (_inFlight.TryGetValue(key, out var entry))
            {
                if (entry is PendingMiss pending)
                {
                    return WaitForAsync(pending, cancellationToken);
                }

                if (_time.GetTimestamp() - ((RecentHit)entry).Timestamp < HitMemoTicks || !canLead)
                {
                    return ValueTask.CompletedTask;
                }

                if (_inFlight.TryUpdate(key, Lead(feature), entry))
                {
                    return ValueTask.CompletedTask;
                }

                feature.Leading = null;
                continue;
            }

            if (!canLead)
            {
                return ValueTask.CompletedTask;
            }

            if (_inFlight.TryAdd(key, Lead(feature)))
            {
                return ValueTask.CompletedTask;
            }

            feature.Leading = null;
        }
    }

    /// <summary>The request's lookup hit: if it led, the key becomes recently hit and its waiters go on.</summary>
    public void LookupHit(ResponseCacheFeature feature)
    {
        if (feature.Leading is { } pending && feature.CoalescingKey is { } key)
        {
            feature.Leading = null;
            var now = _time.GetTimestamp();
            _inFlight.TryUpdate(key, new RecentHit(now), pending);
            pending.Done.TrySetResult();
            SweepRecentHits(now);
        }
    }

    /// <summary>
    /// The request is about to run the handler after a missed lookup. A request that did not lead
    /// (it found the key recently hit) takes the lead now, so requests arriving from here on wait.
    /// </summary>
    public void HandlerStarting(ResponseCacheFeature feature)
    {
        if (feature.Leading is not null || feature.CoalescingKey is not { } key || Options.MissWaitTimeout <= TimeSpan.Zero)
        {
            return;
        }

        var led = _inFlight.TryGetValue(key, out var entry)
            ? entry is RecentHit && _inFlight.TryUpdate(key, Lead(feature), entry)
            : _inFlight.TryAdd(key, Lead(feature));
        if (!led)
        {
            // Another request runs the handler already; this one runs it too, having missed already.
            feature.Leading = null;
        }
    }

    /// <summary>Wakes the requests waiting for this one; called when its response has completed.</summary>
    private static void Finish(ResponseCacheFeature feature)
    {
        if (feature.Leading is { } pending && feature.CoalescingKey is { } key)
        {
            feature.Leading = null;
            feature.Runtime._inFlight.TryRemove(new KeyValuePair<CoalescingKey, object>(key, pending));
            pending.Done.TrySetResult();
        }
    }

    private PendingMiss Lead(ResponseCacheFeature feature)
    {
        var pending = new PendingMiss();
        if (!feature.FinishRegistered)
        {
            feature.FinishRegistered = true;
            feature.HttpContext.Response.OnCompleted(static state =>
            {
                Finish((ResponseCacheFeature)state);
                return Task.CompletedTask;
            }, feature);
        }

        feature.Leading = pending;
        return pending;
    }

    private void SweepRecentHits(long now)
    {
        var last = Volatile.Read(ref _lastSweep);
        if (now - last < SweepIntervalTicks || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        foreach (var (key, entry) in _inFlight)
        {
            if (entry is RecentHit hit && now - hit.Timestamp >= HitMemoTicks)
            {
                _inFlight.TryRemove(new KeyValuePair<CoalescingKey, object>(key, entry));
            }
        }
    }

    private async ValueTask WaitForAsync(PendingMiss leader, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _waiting);
        try
        {
            await leader.Done.Task.WaitAsync(Options.MissWaitTimeout, _time, cancellationToken).ConfigureAwait(false);
            Log.WaitedForConcurrentRequest(Logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (TimeoutException)
        {
            Log.ConcurrentRequestWaitTimedOut(Logger, (long)Options.MissWaitTimeout.TotalMilliseconds);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>A request is looking the key up or running its handler; identical requests wait for <see cref="Done"/>.</summary>
    internal sealed class PendingMiss
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The key's entry was found at <see cref="Timestamp"/>.</summary>
    private sealed record RecentHit(long Timestamp);
}
