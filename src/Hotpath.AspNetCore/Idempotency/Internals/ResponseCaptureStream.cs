namespace Hotpath.AspNetCore.Idempotency.Internals;

/// <summary>
/// Holds a response body in memory up to a limit, so the response is stored before the client sees it
/// complete. Past the limit it gives up: what it held goes to the real body and so does the rest.
/// </summary>
internal sealed class ResponseCaptureStream(Stream inner, int limit) : Stream
{
    private MemoryStream? _buffer = new();

    /// <summary>True once the body outgrew the limit and was streamed.</summary>
    public bool Overflowed => _buffer is null;

    public ReadOnlyMemory<byte> Captured => _buffer is { } buffer ? buffer.GetBuffer().AsMemory(0, (int)buffer.Length) : ReadOnlyMemory<byte>.Empty;

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
        if (_buffer is { } held)
        {
            if (held.Length + buffer.Length <= limit)
            {
                held.Write(buffer);
                return;
            }

            _buffer = null;
            inner.Write(held.GetBuffer(), 0, (int)held.Length);
        }

        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_buffer is { } held)
        {
            if (held.Length + buffer.Length <= limit)
            {
                held.Write(buffer.Span);
                return;
            }

            _buffer = null;
            await inner.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken).ConfigureAwait(false);
        }

        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override void Flush()
    {
        if (_buffer is null)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _buffer is null ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
