namespace Hotpath;

/// <summary>
/// The outcome of a cache read: either a hit carrying the stored value (which may itself be
/// <see langword="null"/> or default) or a miss. A miss is a normal result, never an exception.
/// </summary>
/// <typeparam name="T">The type of the cached value.</typeparam>
public readonly struct CacheResult<T>
{
    private readonly T _value;

    private CacheResult(T value)
    {
        _value = value;
        Found = true;
    }

    /// <summary>A miss.</summary>
    public static CacheResult<T> Miss => default;

    /// <summary>Creates a hit carrying <paramref name="value"/>.</summary>
    /// <param name="value">The cached value; <see langword="null"/> is a valid cached value.</param>
    public static CacheResult<T> Hit(T value) => new(value);

    /// <summary>
    /// <see langword="true"/> when the key held a value. A cached <see langword="null"/> is a hit.
    /// </summary>
    public bool Found { get; }

    /// <summary>The cached value on a hit; <see langword="default"/> on a miss.</summary>
    public T Value => _value;

    /// <summary>Returns the value on a hit, or <paramref name="fallback"/> on a miss.</summary>
    /// <param name="fallback">The value to return on a miss.</param>
    public T GetValueOrDefault(T fallback) => Found ? _value : fallback;

    /// <summary>Gets the value when the read was a hit.</summary>
    /// <param name="value">The cached value on a hit; <see langword="default"/> on a miss.</param>
    /// <returns><see langword="true"/> on a hit.</returns>
    public bool TryGetValue(out T value)
    {
        value = _value;
        return Found;
    }

    /// <inheritdoc />
    public override string ToString() => Found ? "Hit" : "Miss";
}
