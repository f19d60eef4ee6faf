using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Hotpath.Api.Auth;

/// <summary>
/// Sessions held in the cache server: an opaque random token goes to the client, and only the
/// SHA-256 of it is used as the key (<c>session:{hash}:v1</c>), so a dump of the server's keys or
/// values yields no usable token. Sessions slide: every authenticated request renews the session for
/// another <c>Sessions:IdleTimeout</c> (30 minutes unless set), so an active session stays and an idle one ends.
/// </summary>
internal sealed class SessionStore(ICache cache, TimeProvider time, SessionSettings settings)
{
    /// <summary>How long an unused session lives.</summary>
    public TimeSpan IdleTimeout => settings.IdleTimeout;

    /// <summary>The length of a token: 32 random bytes in unpadded base64url.</summary>
    public const int TokenLength = 43;

    /// <summary>
    /// Stores a new session and returns its token, or <see langword="null"/> when the session could not
    /// be stored (the server is unreachable or the cache is disabled). Two round trips.
    /// </summary>
    /// <remarks>
    /// The cache drops a failed write by default (<see cref="HotpathOptions.ThrowOnWriteErrors"/> is off)
    /// and the application may set that option either way, so the write's own outcome is not evidence.
    /// Reading the key back is: it answers "will the next request find this session?", which is what a
    /// login promises, whatever the option says. A store fault thrown because the option is on is the
    /// same answer, given sooner.
    /// </remarks>
    public async Task<SessionTicket?> CreateAsync(UserSession session, CancellationToken cancellationToken)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var key = KeyOf(token);
        try
        {
            // A session lives only in the cache: the reset after a long outage must not log everyone out.
            await cache.SetAsync(key, session, new CacheEntryOptions { Ttl = IdleTimeout, KeepOnReset = true }, cancellationToken);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return null;
        }

        if (!await cache.ExistsAsync(key, cancellationToken))
        {
            return null;
        }

        return new SessionTicket(token, time.GetUtcNow() + IdleTimeout);
    }

    /// <summary>
    /// Finds the session of a token and renews its time to live. Two round trips; <see langword="null"/>
    /// for an unknown or expired token, and when the server is unreachable.
    /// </summary>
    public async Task<UserSession?> GetAsync(string token, CancellationToken cancellationToken)
    {
        var key = KeyOf(token);
        var found = await cache.GetAsync<UserSession>(key, cancellationToken);
        if (!found.Found || found.Value is null)
        {
            return null;
        }

        await cache.RefreshAsync(key, IdleTimeout, cancellationToken);
        return found.Value;
    }

    /// <summary>Ends a session at once. One round trip.</summary>
    public async Task RemoveAsync(string token, CancellationToken cancellationToken) =>
        await cache.DeleteAsync(KeyOf(token), cancellationToken);

    /// <summary>Whether a string has the shape of a token, checked before any round trip.</summary>
    public static bool IsWellFormed(string token) =>
        token.Length == TokenLength && Base64Url.IsValid(token, out var decoded) && decoded == 32;

    private static string KeyOf(string token)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        return CacheKey.Create($"session:{hash}:v1");
    }
}
