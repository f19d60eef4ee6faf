using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Hotpath.AspNetCore.Internals;
using Hotpath.Internals;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Hotpath.AspNetCore.Idempotency.Internals;

/// <summary>
/// Honours <c>Idempotency-Key</c> on endpoints marked with <see cref="IdempotentAttribute"/>: the
/// first request claims the key with an in-progress marker (renewed while it runs), its response is
/// buffered, stored and then sent; a retry with the same key and the same request replays it; the
/// same key with a different request is 422; a retry while the first still runs is 409.
/// </summary>
internal sealed class IdempotencyMiddleware
{
    private readonly RequestDelegate _next;
    private readonly IdempotencyStore _store;
    private readonly IdempotencyOptions _options;
    private readonly IdempotencyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BurstLog _faultLog;
    private int _disabledLogged;

    public IdempotencyMiddleware(RequestDelegate next, IdempotencyStore store, IOptions<IdempotencyOptions> options, IdempotencyMetrics metrics, IOptions<HotpathOptions> hotpathOptions, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _next = next;
        _store = store;
        _options = options.Value;
        _options.Validate();
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("Hotpath.Idempotency");
        _time = time;
        _faultLog = new BurstLog(time, hotpathOptions.Value.FaultLogInterval);
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotentAttribute>() is null)
        {
            return _next(context);
        }

        context.Features.Set(MiddlewareRan.Instance);
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method))
        {
            return _next(context);
        }

        return InvokeCoreAsync(context);
    }

    /// <summary>Fails a request to an endpoint that requires idempotency when the middleware did not run, so a missing <c>UseIdempotency()</c> cannot go unnoticed.</summary>
    internal static void EnsureRan(HttpContext context)
    {
        if (context.Features.Get<MiddlewareRan>() is null)
        {
            throw new InvalidOperationException(
                "This endpoint requires idempotency, but the idempotency middleware did not run. Call app.UseIdempotency() after UseAuthentication()/UseAuthorization() and before the endpoints.");
        }
    }

    private async Task InvokeCoreAsync(HttpContext context)
    {
        var header = context.Request.Headers[IdempotencyOptions.HeaderName];
        if (header.Count == 0)
        {
            if (_options.RequireHeader)
            {
                await RejectAsync(context, StatusCodes.Status400BadRequest, "Idempotency-Key required",
                    "This endpoint requires an Idempotency-Key header; send a unique key (e.g. a UUID) and reuse it when retrying.").ConfigureAwait(false);
                return;
            }

            _metrics.Count(IdempotencyMetrics.Bypassed);
            await _next(context).ConfigureAwait(false);
            return;
        }

        if (header.Count > 1 || !TryParseKey(header[0], _options.MaxKeyLength, out var idempotencyKey))
        {
            await RejectAsync(context, StatusCodes.Status400BadRequest, "Invalid Idempotency-Key",
                $"The Idempotency-Key header must appear once and hold a string of 1 to {_options.MaxKeyLength} printable ASCII characters.").ConfigureAwait(false);
            return;
        }

        if (_store.Database is null)
        {
            if (Interlocked.Exchange(ref _disabledLogged, 1) == 0)
            {
                Log.PassThroughWhileDisabled(_logger);
            }

            _metrics.Count(IdempotencyMetrics.Bypassed);
            await _next(context).ConfigureAwait(false);
            return;
        }

        var fingerprint = await FingerprintAsync(context).ConfigureAwait(false);
        if (fingerprint is null)
        {
            await RejectAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large for an idempotent request",
                $"A request carrying an Idempotency-Key may have a body of at most {_options.MaxRequestBodySize} bytes.").ConfigureAwait(false);
            return;
        }

        var key = IdempotencyStore.Key(_options.ScopeSelector(context), idempotencyKey);
        var marker = IdempotencyRecord.InProgress(fingerprint);
        byte[]? existing;
        try
        {
            // Not cancelled with the request: a claim sent but not awaited would block retries for a lease.
            existing = await _store.BeginAsync(key, marker, _options.InProgressLease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            await UnavailableAsync(context, "check a key", ex).ConfigureAwait(false);
            return;
        }

        if (existing is null)
        {
            await RunAsync(context, key, marker, fingerprint).ConfigureAwait(false);
            return;
        }

        if (!IdempotencyRecord.TryRead(existing, out var state))
        {
            Log.UnreadableRecord(_logger);
            _metrics.Count(IdempotencyMetrics.Bypassed);
            await _next(context).ConfigureAwait(false);
            return;
        }

        if (!CryptographicOperations.FixedTimeEquals(state.Fingerprint, fingerprint))
        {
            _metrics.Count(IdempotencyMetrics.Mismatch);
            await WriteProblemAsync(context, StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                "This Idempotency-Key was already used for a different request (method, path or body differ). Use a new key for a new request.").ConfigureAwait(false);
            return;
        }

        if (state.Completed is not { } stored)
        {
            _metrics.Count(IdempotencyMetrics.Conflict);
            context.Response.Headers.RetryAfter = "1";
            await WriteProblemAsync(context, StatusCodes.Status409Conflict, "Request in progress",
                "A request with this Idempotency-Key is still being processed. Retry after it completes.").ConfigureAwait(false);
            return;
        }

        _metrics.Count(IdempotencyMetrics.Replayed);
        await ReplayAsync(context, stored).ConfigureAwait(false);
    }

    private async Task RunAsync(HttpContext context, string key, byte[] marker, byte[] fingerprint)
    {
        var original = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var capture = new ResponseBuffer(original.Stream, _options.MaxResponseBodySize);
        var buffered = new StreamResponseBodyFeature(capture, original);
        context.Features.Set<IHttpResponseBodyFeature>(buffered);
        var renewal = new Renewal(this, key, marker);
        try
        {
            await _next(context).ConfigureAwait(false);
            await buffered.CompleteAsync().ConfigureAwait(false);
        }
        catch
        {
            // The request did not finish: free the key so a retry can run it.
            context.Features.Set(original);
            renewal.Dispose();
            await AbandonAsync(key, marker).ConfigureAwait(false);
            throw;
        }

        context.Features.Set(original);
        renewal.Dispose();
        _metrics.Count(IdempotencyMetrics.Executed);
        var response = context.Response;
        if (response.StatusCode >= StatusCodes.Status500InternalServerError)
        {
            // A server error is not an answer to the request; a retry should run it again.
            await AbandonAsync(key, marker).ConfigureAwait(false);
        }
        else
        {
            await StoreAsync(response, key, marker, fingerprint, capture).ConfigureAwait(false);
        }

        if (capture.IsBuffering && !capture.Written.IsEmpty)
        {
            await original.Stream.WriteAsync(capture.Written, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task StoreAsync(HttpResponse response, string key, byte[] marker, byte[] fingerprint, ResponseBuffer capture)
    {
        var headers = new List<KeyValuePair<string, StringValues>>();
        foreach (var header in response.Headers)
        {
            if (_options.ReplayedHeaders.Contains(header.Key))
            {
                headers.Add(header);
            }
        }

        if (!capture.IsBuffering)
        {
            Log.ResponseTooLarge(_logger, _options.MaxResponseBodySize);
        }

        var record = IdempotencyRecord.Completed(fingerprint, response.StatusCode, headers, capture.Written.Span, !capture.IsBuffering);
        try
        {
            if (!await _store.CompleteAsync(key, marker, record, _options.Retention).ConfigureAwait(false))
            {
                Log.MarkerLost(_logger);
            }
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            ReportFault("store a response", "a retry runs the request again once the in-progress marker expires", ex);
        }
    }

    private async Task ReplayAsync(HttpContext context, StoredResponse stored)
    {
        var response = context.Response;
        response.StatusCode = stored.Status;
        foreach (var (name, values) in stored.Headers)
        {
            response.Headers[name] = values;
        }

        response.Headers[_options.ReplayedHeaderName] = "true";
        if (!stored.BodyOmitted)
        {
            response.ContentLength = stored.Body.Length;
            await response.Body.WriteAsync(stored.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>SHA-256 of method, path, query and body; null when the body is over the limit.</summary>
    private async Task<byte[]?> FingerprintAsync(HttpContext context)
    {
        var request = context.Request;
        var limit = _options.MaxRequestBodySize;
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.PathBase}{request.Path}{request.QueryString}\n"));
        request.EnableBuffering();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    return null;
                }

                hash.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        request.Body.Position = 0;
        return hash.GetHashAndReset();
    }

    private async Task AbandonAsync(string key, byte[] marker)
    {
        try
        {
            await _store.AbandonAsync(key, marker).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            ReportFault("free a key", "retries get 409 until the in-progress marker expires", ex);
        }
    }

    private async Task UnavailableAsync(HttpContext context, string operation, Exception exception)
    {
        if (_options.RejectWhenUnavailable)
        {
            ReportFault(operation, "the request was refused with 503", exception);
            _metrics.Count(IdempotencyMetrics.Rejected);
            await WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "Idempotency unavailable",
                "Idempotency keys cannot be checked right now; retry later with the same key.").ConfigureAwait(false);
            return;
        }

        ReportFault(operation, "the request runs without idempotency", exception);
        _metrics.Count(IdempotencyMetrics.Bypassed);
        await _next(context).ConfigureAwait(false);
    }

    private void ReportFault(string operation, string outcome, Exception exception)
    {
        if (_faultLog.ShouldLog(out var suppressed))
        {
            Log.StoreFault(_logger, operation, exception.GetType().Name, outcome, suppressed, exception);
        }
    }

    private Task RejectAsync(HttpContext context, int status, string title, string detail)
    {
        _metrics.Count(IdempotencyMetrics.Rejected);
        return WriteProblemAsync(context, status, title, detail);
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);

    /// <summary>
    /// Reads the key: a Structured Field string (<c>"…"</c>, with <c>\"</c> and <c>\\</c> escapes) as the
    /// draft specifies, or, leniently, a bare run of visible ASCII characters.
    /// </summary>
    internal static bool TryParseKey(string? raw, int maxLength, out string key)
    {
        key = string.Empty;
        var value = raw.AsSpan().Trim(" \t");
        if (value.IsEmpty)
        {
            return false;
        }

        if (value[0] != '"')
        {
            foreach (var c in value)
            {
                if (c is < '!' or > '~' or '"')
                {
                    return false;
                }
            }

            key = value.ToString();
            return key.Length <= maxLength;
        }

        var builder = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                if (++i == value.Length || value[i] is not ('"' or '\\'))
                {
                    return false;
                }

                builder.Append(value[i]);
            }
            else if (c == '"')
            {
                if (i != value.Length - 1)
                {
                    return false;
                }

                key = builder.ToString();
                return key.Length is > 0 && key.Length <= maxLength;
            }
            else if (c is < ' ' or > '~')
            {
                return false;
            }
            else
            {
                builder.Append(c);
            }
        }

        return false;
    }

    /// <summary>Set on requests the middleware saw, for <see cref="EnsureRan"/>.</summary>
    private sealed class MiddlewareRan
    {
        public static readonly MiddlewareRan Instance = new();
    }

    /// <summary>Renews a running request's in-progress marker at a third of its lease.</summary>
    private sealed class Renewal : IDisposable
    {
        private readonly IdempotencyMiddleware _owner;
        private readonly string _key;
        private readonly byte[] _marker;
        private readonly ITimer _timer;
        private int _busy;

        public Renewal(IdempotencyMiddleware owner, string key, byte[] marker)
        {
            _owner = owner;
            _key = key;
            _marker = marker;
            var period = owner._options.InProgressLease / 3;
            _timer = owner._time.CreateTimer(static state => ((Renewal)state!).Tick(), this, period, period);
        }

        public void Dispose() => _timer.Dispose();

        private void Tick()
        {
            if (Interlocked.Exchange(ref _busy, 1) == 0)
            {
                _ = RenewAsync();
            }
        }

        private async Task RenewAsync()
        {
            try
            {
                await _owner._store.RenewAsync(_key, _marker, _owner._options.InProgressLease).ConfigureAwait(false);
            }
            catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
            {
                _owner.ReportFault("renew an in-progress marker", "it is retried at the next renewal", ex);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }
    }
}
