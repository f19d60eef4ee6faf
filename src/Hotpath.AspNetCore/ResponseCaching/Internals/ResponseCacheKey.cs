using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// The parts of a response's key that Hotpath builds itself, and the mapping of the framework's storage
/// key to a Redis key.
/// </summary>
/// <remarks>
/// The framework keys an entry by method, scheme, host and path, plus the vary-by values a policy sets.
/// Hotpath puts one vary-by value there, <c>hotpath=…</c>, holding the user (per-user policies), the
/// normalised query and the selected headers. Every part taken from the request is escaped (letters,
/// digits and <c>-_.~</c> kept, anything else <c>%XX</c> per UTF-8 byte, an unpaired surrogate
/// <c>%uXXXX</c>), so the text is injective: two requests that differ in any varying part never share it.
/// The framework's own query handling is not used because it sorts repeated values (so <c>?s=a&amp;s=b</c>
/// and <c>?s=b&amp;s=a</c> would share an entry) and ignores keys a policy did not name.
/// </remarks>
internal static class ResponseCacheKey
{
    /// <summary>The name of Hotpath's vary-by value in the framework's key.</summary>
    public const string VaryByValueName = "hotpath";

    /// <summary>Every Redis key of the response cache starts with this (after <c>Hotpath:KeyPrefix</c>).</summary>
    public const string StorePrefix = "response:";

    private const string HashedStorePrefix = StorePrefix + "h:";
    private const char FrameworkDelimiter = '\x1e';
    private const string Hex = "0123456789ABCDEF";

    [ThreadStatic]
    private static StringBuilder? t_builder;

    [ThreadStatic]
    private static StringBuilder? t_storeBuilder;

    /// <summary>
    /// Builds the vary-by text of a request, or returns null with <paramref name="bypassReason"/> when the
    /// policy refuses the request (an unknown query key under <see cref="UnknownQueryKeyHandling.Bypass"/>).
    /// </summary>
    public static string? BuildVary(HttpRequest request, ResponseCachePolicy policy, string? userId, out ResponseCacheReason? bypassReason)
    {
        bypassReason = null;
        var query = request.QueryString.HasValue ? request.Query : null;
        // A policy that names no query keys reads none: any query key is unknown to it. So an anonymous
        // caller can never mint entries by appending ?junk=1, ?junk=2, … unless the policy asks to vary by them.
        if (query is not null && policy.UnknownQueryKeys == UnknownQueryKeyHandling.Bypass)
        {
            var known = policy.QueryKeys;
            foreach (var pair in query)
            {
                if (known is null || !known.Contains(pair.Key))
                {
                    bypassReason = ResponseCacheReason.UnknownQueryKey;
                    return null;
                }
            }
        }

        var builder = t_builder ?? new StringBuilder(256);
        t_builder = null;
        builder.Clear();
        if (policy.PerUser)
        {
            if (userId is null)
            {
                builder.Append("anonymous|");
            }
            else
            {
                builder.Append("user=");
                AppendEscaped(builder, userId);
                builder.Append('|');
            }
        }

        builder.Append("query=");
        if (query is { Count: > 0 })
        {
            AppendQuery(builder, query);
        }

        if (policy.HeaderNames.Length > 0)
        {
            builder.Append("|header=");
            var headers = request.Headers;
            for (var i = 0; i < policy.HeaderNames.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append('&');
                }

                // Names are the policy's own, lower-cased when the policy was built.
                AppendEscaped(builder, policy.HeaderNames[i]);
                AppendValues(builder, headers[policy.HeaderNames[i]]);
            }
        }

        var text = builder.ToString();
        if (builder.Capacity <= 4096)
        {
            t_builder = builder;
        }

        return text;
    }

    /// <summary>
    /// The key that identical concurrent requests share while one of them runs the handler. Only used
    /// in-process to decide who waits; the stored entry is still found by the framework's full key.
    /// </summary>
    public static CoalescingKey Coalescing(HttpRequest request, bool varyByHost, string vary) =>
        new(request.Scheme, varyByHost ? request.Host.Value : null, request.PathBase.HasValue ? request.PathBase.Value + request.Path.Value : request.Path.Value, vary);

    private static void AppendQuery(StringBuilder builder, IQueryCollection query)
    {
        // Keys in a fixed order, so the order in the URL does not matter; a key's values keep their
        // order, since an endpoint may read them in order. Keys compare case-insensitively, as
        // IQueryCollection does, so they are upper-cased (OrdinalIgnoreCase equals invariant upper-casing).
        var keys = new string[query.Count];
        var count = 0;
        foreach (var pair in query)
        {
            keys[count++] = pair.Key;
        }

        Array.Sort(keys, StringComparer.OrdinalIgnoreCase);
        Span<char> upperBuffer = stackalloc char[128];
        for (var i = 0; i < keys.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('&');
            }

            var key = keys[i];
            if (Ascii.IsValid(key))
            {
                var upper = key.Length <= upperBuffer.Length ? upperBuffer[..key.Length] : new char[key.Length];
                Ascii.ToUpper(key, upper, out _);
                AppendEscaped(builder, upper);
            }
            else
            {
                AppendEscaped(builder, key.ToUpperInvariant());
            }

            AppendValues(builder, query[key]);
        }
    }

    /// <summary><c>!</c> for an absent value; otherwise <c>=</c> and the escaped values joined by <c>,</c>.</summary>
    private static void AppendValues(StringBuilder builder, StringValues values)
    {
        if (values.Count == 0)
        {
            builder.Append('!');
            return;
        }

        builder.Append('=');
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            AppendEscaped(builder, values[i]);
        }
    }

    /// <summary>Escapes a part so it holds only letters, digits, <c>-_.~</c> and escapes.</summary>
    public static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> text) => Escape(builder, text, static c => false, separator: false);

    /// <summary>
    /// The Redis key (without <c>Hotpath:KeyPrefix</c>) for a framework storage key. A HEAD lookup maps to
    /// the GET entry, so HEAD is answered from it. Keys longer than <paramref name="maxLength"/> are
    /// replaced by a SHA-256 of the framework key, which keeps them distinct.
    /// </summary>
    public static string ToStoreKey(string frameworkKey, int maxLength)
    {
        var builder = t_storeBuilder ?? new StringBuilder(256);
        t_storeBuilder = null;
        builder.Clear().Append(StorePrefix);
        // The framework's delimiter becomes ':', which nothing else is escaped to; the separators of
        // Hotpath's vary text and '/' stay readable.
        Escape(builder, frameworkKey, static c => c is '/' or '|' or '=' or '&' or ',' or '!', separator: true);
        var fits = builder.Length <= maxLength;
        var storeKey = fits ? builder.ToString() : null;
        if (builder.Capacity <= 4096)
        {
            t_storeBuilder = builder;
        }

        if (storeKey is not null)
        {
            return storeKey;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(frameworkKey));
        return HashedStorePrefix + Convert.ToHexStringLower(hash);
    }

    /// <summary>Whether a framework key is a HEAD request's, and if so the matching GET key.</summary>
    public static bool TryMapHeadToGet(string frameworkKey, out string getKey)
    {
        // The method is the first segment, or the second after a CacheKeyPrefix; the scheme follows it.
        const string head = "HEAD\x1eHTTP";
        var at = frameworkKey.StartsWith(head, StringComparison.Ordinal) ? 0 : -1;
        if (at < 0)
        {
            var first = frameworkKey.IndexOf(FrameworkDelimiter);
            if (first >= 0 && frameworkKey.AsSpan(first + 1).StartsWith(head, StringComparison.Ordinal))
            {
                at = first + 1;
            }
        }

        if (at < 0)
        {
            getKey = frameworkKey;
            return false;
        }

        getKey = string.Concat(frameworkKey.AsSpan(0, at), "GET", frameworkKey.AsSpan(at + 4));
        return true;
    }

    private static void Escape(StringBuilder builder, ReadOnlySpan<char> text, Func<char, bool> alsoSafe, bool separator)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (CacheKey.IsSafe(c) || alsoSafe(c))
            {
                builder.Append(c);
                continue;
            }

            if (separator && c == FrameworkDelimiter)
            {
                builder.Append(':');
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var length = new Rune(c, text[i + 1]).EncodeToUtf8(utf8);
                AppendBytes(builder, utf8[..length]);
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                // An unpaired surrogate gets an escape of its own rather than U+FFFD, so it stays distinct.
                builder.Append("%u").Append(Hex[c >> 12]).Append(Hex[(c >> 8) & 0xF]).Append(Hex[(c >> 4) & 0xF]).Append(Hex[c & 0xF]);
                continue;
            }

            var written = new Rune(c).EncodeToUtf8(utf8);
            AppendBytes(builder, utf8[..written]);
        }
    }

    private static void AppendBytes(StringBuilder builder, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            builder.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
        }
    }
}

/// <summary>What identical concurrent requests share: scheme, host (null when it does not vary), path and vary-by text.</summary>
internal readonly record struct CoalescingKey(string Scheme, string? Host, string? Path, string Vary);
