using System.Collections.Concurrent;
using System.Diagnostics;
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
    private readonly ConcurrentDictionary<string, ResponseCacheFeature> _inFlight = new(StringComparer.Ordinal);
    private Task<string[]?>? _authenticationCookieNames;
    private int _warnedAboutOrder;
    private int _waiting;

    public ResponseCacheRuntime(IOptions<HotpathResponseCacheOptions> options, ILoggerFactory loggerFactory, IServiceProvider services, TimeProvider? time = null)
    {
        Options = options.Value;
        Options.Validate();
        Logger = loggerFactory.CreateLogger("Hotpath.ResponseCache");
        _services = services;
        _time = time ?? TimeProvider.System;
        StatusHeaderName = string.IsNullOrEmpty(Options.CacheStatusHeaderName) ? null : Options.CacheStatusHeaderName;
        DefaultStatusCodes = [.. Options.CacheableStatusCodes];
    }

    public HotpathResponseCacheOptions Options { get; }

    public ILogger Logger { get; }

    public string? StatusHeaderName { get; }

    public HashSet<int> DefaultStatusCodes { get; }

    /// <summary>Requests waiting right now for a concurrent identical request; read by tests.</summary>
    public int WaitingCount => Volatile.Read(ref _waiting);

    public static ResponseCacheRuntime From(HttpContext context) =>
        context.RequestServices.GetService<ResponseCacheRuntime>()
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
    public ValueTask CoalesceAsync(ResponseCacheFeature feature, string key, bool canLead, CancellationToken cancellationToken)
    {
        if (Options.MissWaitTimeout <= TimeSpan.Zero)
        {
            return ValueTask.CompletedTask;
        }

        while (true)
        {
            if (_inFlight.TryGetValue(key, out var leader))
            {
                return WaitForAsync(leader, cancellationToken);
            }

            if (!canLead)
            {
                return ValueTask.CompletedTask;
            }

            feature.PrepareLeadership(key);
            if (_inFlight.TryAdd(key, feature))
            {
                feature.HttpContext.Response.OnCompleted(static state =>
                {
                    ((ResponseCacheFeature)state).ReleaseLeadership();
                    return Task.CompletedTask;
                }, feature);
                return ValueTask.CompletedTask;
            }
        }
    }

    public void Release(string key, ResponseCacheFeature leader) =>
        _inFlight.TryRemove(new KeyValuePair<string, ResponseCacheFeature>(key, leader));

    private async ValueTask WaitForAsync(ResponseCacheFeature leader, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _waiting);
        try
        {
            await leader.LeadershipTask.WaitAsync(Options.MissWaitTimeout, _time, cancellationToken).ConfigureAwait(false);
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
}
