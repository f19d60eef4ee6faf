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
    public bool SkipMemoryTier;
    public bool CopyOnRead;
    public bool KeepOnReset;

    /// <summary>The cache generation the entry was written under (0 when the header has none).</summary>
    public long Generation;

    public readonly bool HasTags => TagsLength > 0;

    /// <summary>Whether the bytes carry a value (a lease placeholder may carry the previous value).</summary>
    public readonly bool HasPayload(int totalLength) => PayloadOffset < totalLength || !IsLease;

    /// <summary>Whether the value's logical lifetime has ended (entries without one never end logically).</summary>
    public readonly bool IsExpiredAt(long nowUnixMs) => LogicalExpiryUnixMs != 0 && nowUnixMs >= LogicalExpiryUnixMs;
}

// Stored entry format, revision H1 (the magic is the revision: a change that an older reader would
// misread gets a new magic, H2, and readers treat an unknown magic as a miss).
//
//   entry     = header LF payload
//   header    = "H1" *( SP field )          ; ASCII, no LF; ends at the FIRST LF of the value
//   field     = name "=" value              ; name is one letter, value has no SP and no LF
//   payload   = *OCTET                      ; anything, LF / NUL / "H1 l=" included, possibly empty
//
//   l=<token> lease placeholder held while a factory runs; always the first field when present
//             (written as "H1 l=<token>"); with other fields or a payload after it, it carries the
//             previous value
//   f=<flags> n: keep out of the memory tier; c: copy on read from it; k: keep across a reset
//   g=<n>     the cache generation the entry was written under (absent: 0); an entry from an older
//             generation than the server's reads as a miss unless it has the k flag (HotpathCache.Generation.cs)
//   t=<tags>  tag versions, escapedTag@version joined by ","
//   c=<ms>    creation, Unix milliseconds
//   e=<ms>    logical expiry, Unix milliseconds (the key may live longer, for fail-safe)
//   other     unknown fields from a newer writer are skipped
//
// Readers and every Lua script (EntryScripts.cs, the only place they live) parse the header only:
// nothing ever scans or rewrites payload bytes. EntryFormatTests round-trips payloads through them.

/// <summary>
/// The stored form of an entry: one ASCII header line, then the serialized payload, so
/// <c>redis-cli GET</c> shows <c>H1</c> and the JSON. The grammar is in the comment above.
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
                case (byte)'f':
                    info.SkipMemoryTier = value.Contains((byte)'n');
                    info.CopyOnRead = value.Contains((byte)'c');
                    info.KeepOnReset = value.Contains((byte)'k');
                    break;
                case (byte)'g':
                    if (!Utf8Parser.TryParse(value, out info.Generation, out var g) || g != value.Length)
                    {
                        return false;
                    }

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

    /// <summary>
    /// The start of the placeholder stored while a factory runs under a lease (<c>H1 l=token</c>); the
    /// claim script appends the previous entry's fields and payload, or just a newline.
    /// </summary>
    public static string LeaseHead(string token) => "H1 l=" + token;

    /// <summary>Writes the header line; the caller writes the payload after it.</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, string? tagVersions, long createdUnixMs, long expiryUnixMs, long generation = 0, bool skipMemoryTier = false, bool copyOnRead = false, bool keepOnReset = false)
    {
        // "H1" + " f=nck" + " g=" + 20 digits + " c=" + 20 digits + " e=" + 20 digits + tags + "\n"
        var length = Magic.Length + 80 + (tagVersions is null ? 0 : 3 + tagVersions.Length);
        var span = writer.GetSpan(length);
        Magic.CopyTo(span);
        var position = Magic.Length;
        if (skipMemoryTier || copyOnRead || keepOnReset)
        {
            " f="u8.CopyTo(span[position..]);
            position += 3;
            if (skipMemoryTier)
            {
                span[position++] = (byte)'n';
            }

            if (copyOnRead)
            {
                span[position++] = (byte)'c';
            }

            if (keepOnReset)
            {
                span[position++] = (byte)'k';
            }
        }

        if (generation > 0)
        {
            " g="u8.CopyTo(span[position..]);
            position += 3;
            Utf8Formatter.TryFormat(generation, span[position..], out var digits);
            position += digits;
        }

        if (tagVersions is not null)
        {
            " t="u8.CopyTo(span[position..]);
            position += 3;
            position += Encoding.ASCII.GetBytes(tagVersions, span[position..]);
        }

        " c="u8.CopyTo(span[position..]);
        position += 3;
        Utf8Formatter.TryFormat(createdUnixMs, span[position..], out var written);
        position += written;
        " e="u8.CopyTo(span[position..]);
        position += 3;
        Utf8Formatter.TryFormat(expiryUnixMs, span[position..], out written);
        position += written;
        span[position++] = (byte)'\n';
        writer.Advance(position);
    }
}
