using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Hotpath.Internals;
using Hotpath.Serialization;
using Microsoft.Extensions.Logging;

namespace Hotpath.Tokens.Internals;

/// <summary>
/// <see cref="IOneTimeTokenService"/>: the token is 32 random bytes in base64url; the key is
/// <c>_hotpath:otk:{purpose}:{sha256-hex of the token}</c>, the value the serialized payload.
/// </summary>
internal sealed class OneTimeTokenService : IOneTimeTokenService
{
    internal const string KeyPrefix = "_hotpath:otk:";
    internal const int TokenBytes = 32;
    internal const int TokenLength = 43;
    internal const int MaxPurposeLength = 256;

    private readonly ITokenStore _store;
    private readonly ICacheSerializer _serializer;
    private readonly ILogger _logger;

    public OneTimeTokenService(ITokenStore store, ICacheSerializer serializer, ILogger logger)
    {
        _store = store;
        _serializer = serializer;
        _logger = logger;
    }

    internal ITokenStore Store => _store;

    public static OneTimeTokenService Create(HotpathConnection connection, HotpathOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        var logger = loggerFactory.CreateLogger("Hotpath.Tokens");
        ITokenStore store;
        if (connection.IsDisabled)
        {
            Log.TokensInProcess(logger);
            store = new InProcessTokenStore(time);
        }
        else
        {
            store = new RedisTokenStore(connection.Database!);
        }

        var serializer = options.Serializer
            ?? (options.JsonSerializerOptions is { } json ? new SystemTextJsonCacheSerializer(json) : new SystemTextJsonCacheSerializer());
        return new OneTimeTokenService(store, serializer, logger);
    }

    public async ValueTask<string> CreateAsync<T>(string purpose, T payload, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ValidatePurpose(purpose);
        if (ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "The time to live must be positive.");
        }

        byte[] bytes;
        using (var writer = PooledBufferWriter.Rent())
        {
            _serializer.Serialize(payload, writer);
            bytes = writer.ToArray();
        }

        Span<byte> secret = stackalloc byte[TokenBytes];
        RandomNumberGenerator.Fill(secret);
        var token = Base64Url.EncodeToString(secret);
        await _store.StoreAsync(Key(purpose, token), bytes, ttl, cancellationToken).ConfigureAwait(false);
        return token;
    }

    public async ValueTask<OneTimeTokenResult<T>> ConsumeAsync<T>(string purpose, string token, CancellationToken cancellationToken = default)
    {
        ValidatePurpose(purpose);
        if (!IsWellFormed(token))
        {
            return OneTimeTokenResult<T>.Invalid;
        }

        var bytes = await _store.TakeAsync(Key(purpose, token), cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return OneTimeTokenResult<T>.Invalid;
        }

        try
        {
            return OneTimeTokenResult<T>.Valid(_serializer.Deserialize<T>(bytes));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.UnreadablePayload(_logger, typeof(T).Name, ex.GetType().Name);
            return OneTimeTokenResult<T>.Invalid;
        }
    }

    public async ValueTask<bool> RevokeAsync(string purpose, string token, CancellationToken cancellationToken = default)
    {
        ValidatePurpose(purpose);
        return IsWellFormed(token) && await _store.DeleteAsync(Key(purpose, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The key of a token: its purpose, escaped, and the SHA-256 of its text; the token itself never reaches the server.</summary>
    internal static string Key(string purpose, string token)
    {
        Span<byte> ascii = stackalloc byte[TokenLength];
        Encoding.ASCII.GetBytes(token, ascii);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii, hash);
        return KeyPrefix + CacheKey.Escape(purpose) + ":" + Convert.ToHexStringLower(hash);
    }

    internal static bool IsWellFormed(string? token)
    {
        if (token is null || token.Length != TokenLength)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }

        return true;
    }

    private static void ValidatePurpose(string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        if (purpose.Length > MaxPurposeLength)
        {
            throw new ArgumentException($"A token purpose must be at most {MaxPurposeLength} characters; this one has {purpose.Length}.", nameof(purpose));
        }
    }
}
