using StackExchange.Redis;

namespace Hotpath.Tokens.Internals;

/// <summary>Token payloads as plain string keys with a <c>PX</c> expiry; consumed with <c>GETDEL</c>.</summary>
internal sealed class RedisTokenStore(IDatabase database) : ITokenStore
{
    public async ValueTask StoreAsync(string key, byte[] payload, TimeSpan ttl, CancellationToken cancellationToken) =>
        await database.StringSetAsync(key, payload, ttl).WaitAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken)
    {
        var value = await database.StringGetDeleteAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : (byte[])value!;
    }

    public async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        await database.KeyDeleteAsync(key).WaitAsync(cancellationToken).ConfigureAwait(false);
}
