using System.Buffers;

namespace Hotpath.Internals;

/// <summary>
/// A growable buffer over <see cref="ArrayPool{T}"/>, reused per thread for the synchronous part of
/// a write (header + serialization), after which the bytes are copied out once.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MaxRetainedSize = 256 * 1024;

    [ThreadStatic]
    private static PooledBufferWriter? t_cached;

    private byte[] _buffer;
    private int _written;

    private PooledBufferWriter()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(4096);
    }

    public static PooledBufferWriter Rent()
    {
        var writer = t_cached ?? new PooledBufferWriter();
        t_cached = null;
        writer._written = 0;
        return writer;
    }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        if (_buffer.Length > MaxRetainedSize)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(4096);
        }

        t_cached = this;
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
