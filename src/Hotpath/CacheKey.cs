using System.Buffers;
using System.Globalization;
using System.Text;

namespace Hotpath;

/// <summary>
/// Builds cache keys of the form <c>product:42:v1</c>. Parts that come from user input are escaped so
/// they cannot change the key's shape (no <c>:</c>) or act as glob characters in pattern deletion
/// (no <c>*</c>, <c>?</c>, <c>[</c>, <c>]</c>, <c>\</c>).
/// </summary>
/// <remarks>
/// Escaping keeps ASCII letters, digits, <c>-</c>, <c>_</c>, <c>.</c> and <c>~</c> and writes every
/// other character as <c>%XX</c> per UTF-8 byte, so it is injective: two different parts never
/// produce the same escaped text. A part that needs no escaping is returned without allocating.
/// </remarks>
public static class CacheKey
{
    /// <summary>The separator between key parts.</summary>
    public const char Separator = ':';

    /// <summary>
    /// Builds a key from an interpolated string: the literal text is kept as written and every
    /// interpolated value is escaped. <c>CacheKey.Create($"product:{id}:v1")</c>.
    /// </summary>
    /// <param name="handler">The interpolated string.</param>
    public static string Create(ref CacheKeyInterpolatedStringHandler handler) => handler.ToStringAndClear();

    /// <summary>
    /// Builds a glob pattern for <see cref="ICache.DeleteByPatternAsync"/>: the literal text keeps its
    /// glob meaning and every interpolated value is escaped, so it matches only itself.
    /// <c>CacheKey.Pattern($"user:{userId}:*")</c>.
    /// </summary>
    /// <param name="handler">The interpolated string.</param>
    public static string Pattern(ref CacheKeyInterpolatedStringHandler handler) => handler.ToStringAndClear();

    /// <summary>Joins parts with <c>:</c>, escaping every part. <c>CacheKey.Join("product", id, "v1")</c>.</summary>
    /// <param name="parts">The parts; none may be <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">No parts were given, or a part is null.</exception>
    public static string Join(params ReadOnlySpan<string> parts)
    {
        if (parts.IsEmpty)
        {
            throw new ArgumentException("At least one key part is required.", nameof(parts));
        }

        var builder = new StringBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] is null)
            {
                throw new ArgumentException($"Key part {i} is null.", nameof(parts));
            }

            if (i > 0)
            {
                builder.Append(Separator);
            }

            builder.Append(Escape(parts[i]));
        }

        return builder.ToString();
    }

    /// <summary>
    /// Escapes one key part; returns the same instance when nothing needs escaping. Letters, digits and
    /// <c>- _ . ~</c> stay as they are; every other character is percent-encoded as UTF-8, and an
    /// unpaired surrogate (invalid UTF-16) as <c>%uXXXX</c>, so two different parts never escape to the
    /// same text.
    /// </summary>
    /// <param name="part">The part.</param>
    public static string Escape(string part)
    {
        ArgumentNullException.ThrowIfNull(part);
        var first = IndexOfUnsafe(part);
        if (first < 0)
        {
            return part;
        }

        var builder = new StringBuilder(part.Length + 8);
        AppendEscaped(builder, part);
        return builder.ToString();
    }

    internal static bool IsSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~';

    internal static int IndexOfUnsafe(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!IsSafe(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> text)
    {
        Span<char> buffer = stackalloc char[128];
        while (!text.IsEmpty)
        {
            var written = EscapeInto(text, buffer, out var consumed);
            builder.Append(buffer[..written]);
            text = text[consumed..];
        }
    }

    /// <summary>
    /// Escapes as much of <paramref name="text"/> as fits in <paramref name="destination"/> (which must
    /// hold at least 12 characters); returns the characters written and, in <paramref name="consumed"/>,
    /// how many characters of <paramref name="text"/> they cover.
    /// </summary>
    internal static int EscapeInto(ReadOnlySpan<char> text, Span<char> destination, out int consumed)
    {
        var written = 0;
        var length = text.Length;
        Span<byte> utf8 = stackalloc byte[4];
        while (!text.IsEmpty)
        {
            var c = text[0];
            if (IsSafe(c))
            {
                if (written == destination.Length)
                {
                    break;
                }

                destination[written++] = c;
                text = text[1..];
                continue;
            }

            // A surrogate pair is one scalar. An unpaired surrogate (invalid UTF-16) has no UTF-8 form:
            // it is written %uXXXX, which no valid text escapes to, so the escaping stays injective.
            var scalar = char.IsHighSurrogate(c) && text.Length > 1 && char.IsLowSurrogate(text[1]) ? 2 : 1;
            if (scalar == 1 && char.IsSurrogate(c))
            {
                if (written + 6 > destination.Length)
                {
                    break;
                }

                destination[written++] = '%';
                destination[written++] = 'u';
                destination[written++] = HexUpper[(c >> 12) & 0xF];
                destination[written++] = HexUpper[(c >> 8) & 0xF];
                destination[written++] = HexUpper[(c >> 4) & 0xF];
                destination[written++] = HexUpper[c & 0xF];
                text = text[1..];
                continue;
            }

            Rune.DecodeFromUtf16(text[..scalar], out var rune, out _);
            var bytes = rune.EncodeToUtf8(utf8);
            if (written + (bytes * 3) > destination.Length)
            {
                break;
            }

            for (var b = 0; b < bytes; b++)
            {
                destination[written++] = '%';
                destination[written++] = HexUpper[utf8[b] >> 4];
                destination[written++] = HexUpper[utf8[b] & 0xF];
            }

            text = text[scalar..];
        }

        consumed = length - text.Length;
        return written;
    }

    private const string HexUpper = "0123456789ABCDEF";

    internal static string FormatPart<T>(T value)
    {
        return value switch
        {
            null => string.Empty,
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };
    }

    internal static readonly SearchValues<char> GlobSpecials = SearchValues.Create("*?[]\\");
}
