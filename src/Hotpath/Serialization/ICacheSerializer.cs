using System.Buffers;

namespace Hotpath.Serialization;

/// <summary>
/// Turns cache values into bytes and back. The default is <see cref="SystemTextJsonCacheSerializer"/>,
/// so a developer can read what the cache holds with <c>redis-cli GET</c>.
/// </summary>
public interface ICacheSerializer
{
    /// <summary>Writes <paramref name="value"/> to <paramref name="destination"/>.</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="value">The value; may be <see langword="null"/>.</param>
    /// <param name="destination">Where the bytes go.</param>
    void Serialize<T>(T value, IBufferWriter<byte> destination);

    /// <summary>
    /// Reads a value written by <see cref="Serialize{T}"/>. Throws when the bytes are not a valid
    /// <typeparamref name="T"/>; the cache then treats the entry as a miss and deletes it.
    /// </summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="source">The bytes.</param>
    T Deserialize<T>(ReadOnlySpan<byte> source);
}
