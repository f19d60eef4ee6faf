using System.Buffers;

namespace Hotpath.AspNetCore.Internals;

/// <summary>
/// Holds a response body in pooled memory until the handler is done, up to <c>maxSize</c> bytes: the
/// response cache computes the ETag from it before the headers go out, and idempotency stores the
/// response before the client sees it complete. Past <c>maxSize</c> it writes what it holds and passes
/// everything through (such a response is not stored). Flushes are held while buffering. Dispose it to
/// return the memory.
/// </summary>
internal sealed class ResponseBuffer(Stream inner, long maxSize) : Stream
{
    private byte[]? _buffer;
    private int _length;

    /// <summary>Whether the whole body so far is held here (not yet written to the inner stream).</summary>
    public bool IsBuffering { get; private set; } = true;

    public ReadOnlyMemory<byte> Written => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (IsBuffering && TryAppend(buffer))
        {
            return;
        }

        if (IsBuffering)
        {
            StopBuffering();
            inner.Write(Written.Span);
            Release();
        }

        inner.Write(buffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (IsBuffering && TryAppend(buffer.Span))
        {
            return ValueTask.CompletedTask;
        }

        return IsBuffering ? SpillAsync(buffer, cancellationToken) : inner.WriteAsync(buffer, cancellationToken);
    }

    private async ValueTask SpillAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        StopBuffering();
        await inner.WriteAsync(Written, cancellationToken).ConfigureAwait(false);
        Release();
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override void Flush()
    {
        if (!IsBuffering)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        IsBuffering ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        Release();
        base.Dispose(disposing);
    }

    private bool TryAppend(ReadOnlySpan<byte> data)
    {
        if (_length + (long)data.Length > maxSize)
        {
            return false;
        }

        if (_buffer is null || _buffer.Length - _length < data.Length)
        {
            var size = Math.Max(_buffer is null ? 4096 : _buffer.Length * 2, _length + data.Length);
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, Math.Max(maxSize, _length + data.Length)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
        return true;
    }

    // Keeps the held bytes readable for the spill; Release returns them afterwards.
    private void StopBuffering() => IsBuffering = false;

    private void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
            _length = 0;
        }
    }
}
