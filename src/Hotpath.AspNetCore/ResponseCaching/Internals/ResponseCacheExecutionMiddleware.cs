using System.IO.Hashing;
using Hotpath.AspNetCore.Internals;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// Sits right after the framework's output-cache middleware, so it runs exactly when a Hotpath-cached
/// request runs its handler (a miss). It marks the response <c>MISS</c> and, for a response that may be
/// stored and has no <c>ETag</c>, holds the body until the handler is done and sets a strong ETag from
/// a hash of it before the framework copies the headers into the entry. For every other request it is a
/// single feature lookup.
/// </summary>
internal sealed class ResponseCacheExecutionMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var feature = context.Features.Get<ResponseCacheFeature>();
        if (feature is null || feature.Executed)
        {
            return next(context);
        }

        feature.Executed = true;
        if (!feature.Bypassed)
        {
            feature.Runtime.Metrics.Count(ResponseCacheMetrics.Miss);
        }

        if (!feature.Storing)
        {
            // Nothing is stored, so the framework takes no copy of the headers: set MISS now.
            if (feature.Runtime.StatusHeaderName is { } header)
            {
                context.Response.Headers[header] = "MISS";
            }

            return next(context);
        }

        return RunBufferedAsync(context, feature);
    }

    private async Task RunBufferedAsync(HttpContext context, ResponseCacheFeature feature)
    {
        feature.Runtime.HandlerStarting(feature);
        var response = context.Response;
        if (feature.Runtime.StatusHeaderName is not null)
        {
            // Runs when the response really starts, which is after the framework took its copy of the
            // headers, so the stored entry never says MISS.
            response.OnStarting(static state =>
            {
                var f = (ResponseCacheFeature)state;
                f.HttpContext.Response.Headers[f.Runtime.StatusHeaderName!] = "MISS";
                return Task.CompletedTask;
            }, feature);
        }

        var original = response.Body;
        using var buffer = new ResponseBuffer(original, feature.Runtime.Options.MaximumBodySize);
        response.Body = buffer;
        try
        {
            await next(context).ConfigureAwait(false);
            // Flushes what the handler wrote through Response.BodyWriter into the buffer.
            if (context.Features.Get<IHttpResponseBodyFeature>() is { } body && ReferenceEquals(body.Stream, buffer))
            {
                await body.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            response.Body = original;
        }

        if (!buffer.IsBuffering)
        {
            feature.NotStored(ResponseCacheReason.TooLarge);
            return;
        }

        var written = buffer.Written;
        if (!response.HasStarted)
        {
            // The cache's own verdict is never part of an entry: a status header the handler set would
            // otherwise be replayed on every hit in place of HIT.
            if (feature.Runtime.StatusHeaderName is { } header)
            {
                response.Headers.Remove(header);
            }

            if (StringValues.IsNullOrEmpty(response.Headers.ETag) && ResponseCachePolicy.StoreRefusal(feature) is null)
            {
                response.Headers.ETag = ComputeETag(written.Span);
            }
        }

        if (!written.IsEmpty)
        {
            await original.WriteAsync(written, context.RequestAborted).ConfigureAwait(false);
        }
    }

    internal static string ComputeETag(ReadOnlySpan<byte> body)
    {
        var hash = XxHash128.HashToUInt128(body);
        return string.Create(34, hash, static (span, value) =>
        {
            span[0] = '"';
            value.TryFormat(span[1..33], out _, "x32");
            span[33] = '"';
        });
    }
}
