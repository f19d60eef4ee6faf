namespace Hotpath.Tokens;

/// <summary>
/// Single-use tokens with a payload and a lifetime: password-reset and e-mail confirmation links,
/// magic sign-in links, one-time download grants. Register with <c>AddHotpath(…).AddOneTimeTokens()</c>.
/// </summary>
/// <remarks>
/// A token is 32 random bytes in base64url (43 characters). The server keeps only the SHA-256 of the
/// token, under a key that names the purpose, so a copy of the server's data cannot be turned back
/// into working links. Consuming is one atomic <c>GETDEL</c>: among any number of concurrent
/// consumers of a token exactly one gets the payload. With the cache disabled
/// (<c>REDIS_URL=none</c>) tokens are kept in this process, so they work only on the instance that
/// created them. Faults talking to the server are thrown to the caller.
/// </remarks>
public interface IOneTimeTokenService
{
    /// <summary>
    /// Creates a token for <paramref name="purpose"/> carrying <paramref name="payload"/>, valid for
    /// <paramref name="ttl"/>. One round trip. The payload is serialized with the cache's serializer
    /// (System.Text.Json unless <see cref="HotpathOptions.Serializer"/> is set).
    /// </summary>
    /// <typeparam name="T">The payload's type.</typeparam>
    /// <param name="purpose">What the token is for, e.g. <c>password-reset</c>; a token only works for its purpose. Any non-empty string; it is escaped into the key.</param>
    /// <param name="payload">What consuming the token returns, e.g. the user's id.</param>
    /// <param name="ttl">How long the token can be consumed; must be positive.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns>The token: 43 URL-safe characters, to send to the user. It is not stored anywhere.</returns>
    /// <exception cref="StackExchange.Redis.RedisException">The server could not be reached; no token was created.</exception>
    ValueTask<string> CreateAsync<T>(string purpose, T payload, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Consumes a token: returns its payload and deletes it, atomically, so it can never be consumed
    /// again. One round trip; none when <paramref name="token"/> is not shaped like a token.
    /// </summary>
    /// <typeparam name="T">The payload's type, as created.</typeparam>
    /// <param name="purpose">The purpose the token was created for.</param>
    /// <param name="token">The token as the user presented it.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns>The payload; or <see cref="OneTimeTokenResult{T}.IsValid"/> <see langword="false"/> when the token is unknown, expired, already consumed, for another purpose or malformed.</returns>
    /// <exception cref="StackExchange.Redis.RedisException">The server could not be reached; the token may or may not have been consumed.</exception>
    ValueTask<OneTimeTokenResult<T>> ConsumeAsync<T>(string purpose, string token, CancellationToken cancellationToken = default);

    /// <summary>Deletes a token without reading it, e.g. when the user asks for a new link. One round trip.</summary>
    /// <param name="purpose">The purpose the token was created for.</param>
    /// <param name="token">The token.</param>
    /// <param name="cancellationToken">Cancels the wait for the server.</param>
    /// <returns><see langword="true"/> when the token existed.</returns>
    /// <exception cref="StackExchange.Redis.RedisException">The server could not be reached.</exception>
    ValueTask<bool> RevokeAsync(string purpose, string token, CancellationToken cancellationToken = default);
}
