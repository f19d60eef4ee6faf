using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Hotpath.AspNetCore.Idempotency.Internals;

/// <summary>
/// The compact binary values stored under an idempotency key.
/// <list type="bullet">
/// <item>In progress: <c>'P' 1 fingerprint[32] owner[16]</c>; the owner makes each run's marker unique, so only that run can renew, complete or abandon it.</item>
/// <item>Completed: <c>'C' 1 fingerprint[32] status:u16 flags:u8 headerCount:u16 (name:str values:u16 (value:str)*)* body:i32+bytes</c>, strings as u16 length + UTF-8.</item>
/// </list>
/// </summary>
internal static class IdempotencyRecord
{
    public const int FingerprintLength = 32;
    private const byte Version = 1;
    private const byte InProgressKind = (byte)'P';
    private const byte CompletedKind = (byte)'C';
    private const int HeaderLength = 2 + FingerprintLength;
    private const byte BodyOmittedFlag = 1;

    public static byte[] InProgress(ReadOnlySpan<byte> fingerprint)
    {
        var marker = new byte[HeaderLength + 16];
        WriteHeader(marker, InProgressKind, fingerprint);
        RandomNumberGenerator.Fill(marker.AsSpan(HeaderLength));
        return marker;
    }

    public static byte[] Completed(ReadOnlySpan<byte> fingerprint, int status, IReadOnlyList<KeyValuePair<string, StringValues>> headers, ReadOnlySpan<byte> body, bool bodyOmitted)
    {
        var size = HeaderLength + 2 + 1 + 2 + 4 + body.Length;
        foreach (var (name, values) in headers)
        {
            size += 2 + Encoding.UTF8.GetByteCount(name) + 2;
            foreach (var value in values)
            {
                size += 2 + Encoding.UTF8.GetByteCount(value ?? string.Empty);
            }
        }

        var record = new byte[size];
        WriteHeader(record, CompletedKind, fingerprint);
        var span = record.AsSpan(HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)status);
        span[2] = bodyOmitted ? BodyOmittedFlag : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[3..], (ushort)headers.Count);
        span = span[5..];
        foreach (var (name, values) in headers)
        {
            span = WriteString(span, name);
            BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)values.Count);
            span = span[2..];
            foreach (var value in values)
            {
                span = WriteString(span, value ?? string.Empty);
            }
        }

        BinaryPrimitives.WriteInt32LittleEndian(span, body.Length);
        body.CopyTo(span[4..]);
        return record;
    }

    /// <summary>Reads a stored value; false when it is not one of ours (then nothing is trusted).</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out StoredState state)
    {
        state = default;
        if (data.Length < HeaderLength || data[1] != Version || data[0] is not (InProgressKind or CompletedKind))
        {
            return false;
        }

        var fingerprint = data.Slice(2, FingerprintLength).ToArray();
        if (data[0] == InProgressKind)
        {
            state = new StoredState(fingerprint, Completed: null);
            return data.Length == HeaderLength + 16;
        }

        try
        {
            var span = data[HeaderLength..];
            int status = BinaryPrimitives.ReadUInt16LittleEndian(span);
            var omitted = (span[2] & BodyOmittedFlag) != 0;
            int count = BinaryPrimitives.ReadUInt16LittleEndian(span[3..]);
            span = span[5..];
            var headers = new List<KeyValuePair<string, StringValues>>(count);
            for (var i = 0; i < count; i++)
            {
                var name = ReadString(ref span);
                int valueCount = BinaryPrimitives.ReadUInt16LittleEndian(span);
                span = span[2..];
                var values = new string[valueCount];
                for (var v = 0; v < valueCount; v++)
                {
                    values[v] = ReadString(ref span);
                }

                headers.Add(new(name, new StringValues(values)));
            }

            var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span);
            if (bodyLength < 0 || bodyLength != span.Length - 4)
            {
                return false;
            }

            state = new StoredState(fingerprint, new StoredResponse(status, headers, span.Slice(4, bodyLength).ToArray(), omitted));
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static void WriteHeader(Span<byte> destination, byte kind, ReadOnlySpan<byte> fingerprint)
    {
        destination[0] = kind;
        destination[1] = Version;
        fingerprint.CopyTo(destination[2..]);
    }

    private static Span<byte> WriteString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)written);
        return destination[(2 + written)..];
    }

    private static string ReadString(ref ReadOnlySpan<byte> source)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(source);
        var value = Encoding.UTF8.GetString(source.Slice(2, length));
        source = source[(2 + length)..];
        return value;
    }
}

/// <summary>What a key holds: the fingerprint of the request that claimed it, and its response once completed.</summary>
internal readonly record struct StoredState(byte[] Fingerprint, StoredResponse? Completed);

/// <summary>A stored response to replay.</summary>
internal sealed record StoredResponse(int Status, IReadOnlyList<KeyValuePair<string, StringValues>> Headers, byte[] Body, bool BodyOmitted);
