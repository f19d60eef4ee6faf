using System.Globalization;
using System.Runtime.CompilerServices;

namespace Hotpath;

/// <summary>
/// The interpolated-string handler behind <see cref="CacheKey.Create"/> and
/// <see cref="CacheKey.Pattern"/>: literal text is copied as written, interpolated values are escaped.
/// Not used directly.
/// </summary>
[InterpolatedStringHandler]
public ref struct CacheKeyInterpolatedStringHandler
{
    private DefaultInterpolatedStringHandler _inner;

    /// <summary>Creates the handler; called by the compiler.</summary>
    /// <param name="literalLength">The total length of the literal parts.</param>
    /// <param name="formattedCount">The number of interpolated values.</param>
    public CacheKeyInterpolatedStringHandler(int literalLength, int formattedCount)
    {
        _inner = new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture);
    }

    /// <summary>Appends literal text unchanged; called by the compiler.</summary>
    /// <param name="value">The literal text.</param>
    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    /// <summary>Appends an interpolated value, escaped; called by the compiler.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value, formatted with the invariant culture.</param>
    public void AppendFormatted<T>(T value)
    {
        if (value is ISpanFormattable formattable)
        {
            Span<char> scratch = stackalloc char[64];
            if (formattable.TryFormat(scratch, out var length, default, CultureInfo.InvariantCulture))
            {
                AppendEscaped(scratch[..length]);
                return;
            }
        }

        AppendEscaped(CacheKey.FormatPart(value));
    }

    /// <summary>Appends an interpolated span, escaped; called by the compiler.</summary>
    /// <param name="value">The value.</param>
    public void AppendFormatted(ReadOnlySpan<char> value) => AppendEscaped(value);

    /// <summary>Appends an interpolated string, escaped; called by the compiler.</summary>
    /// <param name="value">The value; <see langword="null"/> appends nothing.</param>
    public void AppendFormatted(string? value) => AppendEscaped(value);

    private void AppendEscaped(scoped ReadOnlySpan<char> text)
    {
        if (CacheKey.IndexOfUnsafe(text) < 0)
        {
            _inner.AppendFormatted(text);
            return;
        }

        Span<char> buffer = stackalloc char[96];
        while (!text.IsEmpty)
        {
            var written = CacheKey.EscapeInto(text, buffer, out var consumed);
            _inner.AppendFormatted(buffer[..written]);
            text = text[consumed..];
        }
    }

    internal string ToStringAndClear() => _inner.ToStringAndClear();
}
