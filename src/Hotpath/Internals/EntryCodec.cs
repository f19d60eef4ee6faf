using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Hotpath.Internals;

/// <summary>
/// Where the parts of a stored entry sit in its bytes. A plain struct of offsets, so it survives an await.
/// </summary>
internal struct EntryInfo
{
    public int PayloadOffset;
    public int TagsStart;
    public int TagsLength;
    public bool IsLease;
    public long CreatedUnixMs;
    public long LogicalExpiryUnixMs;

    public readonly bool HasTags => TagsLength > 0;
}

/// <summary>
/// The stored form of an entry: one ASCII header line, then the serialized payload, so
/// <c>redis-cli GET</c> shows <c>H1</c> and the JSON. Header fields, each after a space:
/// <c>t=</c> tag versions (<c>escapedTag@version,…</c>), <c>l=</c> a lease token (a placeholder
/// held while a factory runs; no payload), <c>c=</c> creation and <c>e=</c> logical expiry in Unix
/// milliseconds.
/// </summary>
internal static class EntryCodec
{
    private static ReadOnlySpan<byte> Magic => "H1"u8;

    public static bool TryParse(ReadOnlySpan<byte> data, out EntryInfo info)
    {
        info = default;
        if (data.Length < 3 || !data.StartsWith(Magic))
        {
            return false;
        }

        var newline = data.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return false;
        }

        info.PayloadOffset = newline + 1;
        var position = Magic.Length;
        while (position < newline)
        {
            if (data[position] != (byte)' ' || position + 3 > newline || data[position + 2] != (byte)'=')
            {
                return false;
            }

            var name = data[position + 1];
            var valueStart = position + 3;
            var valueEnd = data[valueStart..newline].IndexOf((byte)' ');
            valueEnd = valueEnd < 0 ? newline : valueStart + valueEnd;
            var value = data[valueStart..valueEnd];
            switch (name)
            {
                case (byte)'t':
                    info.TagsStart = valueStart;
                    info.TagsLength = value.Length;
                    break;
                case (byte)'l':
                    info.IsLease = true;
                    break;
                case (byte)'c':
                    if (!Utf8Parser.TryParse(value, out info.CreatedUnixMs, out var c) || c != value.Length)
                    {
                        return false;
                    }

                    break;
                case (byte)'e':
                    if (!Utf8Parser.TryParse(value, out info.LogicalExpiryUnixMs, out var e) || e != value.Length)
                    {
                        return false;
                    }

                    break;
                default:
                    // Unknown fields from a newer writer are skipped, not fatal.
                    break;
            }

            position = valueEnd;
        }

        return true;
    }

    /// <summary>The placeholder stored while a factory runs under a lease.</summary>
    public static byte[] LeaseMarker(string token) => Encoding.ASCII.GetBytes("H1 l=" + token + "\n");

    /// <summary>Writes the header line; the caller writes the payload after it.</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, string? tagVersions)
    {
        var length = Magic.Length + 1 + (tagVersions is null ? 0 : 3 + tagVersions.Length);
        var span = writer.GetSpan(length);
        Magic.CopyTo(span);
        var position = Magic.Length;
        if (tagVersions is not null)
        {
            " t="u8.CopyTo(span[position..]);
            position += 3;
            position += Encoding.ASCII.GetBytes(tagVersions, span[position..]);
        }

        span[position++] = (byte)'\n';
        writer.Advance(position);
    }
}
