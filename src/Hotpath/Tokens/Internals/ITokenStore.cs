namespace Hotpath.Tokens.Internals;

/// <summary>Where token payloads live: the RESP server, or this process when the cache is disabled.</summary>
internal interface ITokenStore
{
    ValueTask StoreAsync(string key, byte[] payload, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Returns the payload and deletes it in one atomic step; null when missing or expired.</summary>
    ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken);

    ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken);
}
