namespace Hotpath.Tokens;

/// <summary>The outcome of consuming a one-time token: its payload, or not valid.</summary>
/// <typeparam name="T">The payload's type.</typeparam>
public readonly struct OneTimeTokenResult<T>
{
    private readonly T _payload;

    private OneTimeTokenResult(T payload)
    {
        _payload = payload;
        IsValid = true;
    }

    /// <summary>A token that was unknown, expired, already consumed, for another purpose or malformed.</summary>
    public static OneTimeTokenResult<T> Invalid => default;

    /// <summary><see langword="true"/> when the token was consumed by this call.</summary>
    public bool IsValid { get; }

    /// <summary>The payload the token was created with; <see langword="default"/> when not valid.</summary>
    public T Payload => _payload;

    /// <summary>Creates a valid result.</summary>
    /// <param name="payload">The payload.</param>
    public static OneTimeTokenResult<T> Valid(T payload) => new(payload);

    /// <summary>Gets the payload when the token was valid.</summary>
    /// <param name="payload">The payload, or <see langword="default"/>.</param>
    /// <returns><see cref="IsValid"/>.</returns>
    public bool TryGetPayload(out T payload)
    {
        payload = _payload;
        return IsValid;
    }

    /// <inheritdoc />
    public override string ToString() => IsValid ? "Valid" : "Invalid";
}
