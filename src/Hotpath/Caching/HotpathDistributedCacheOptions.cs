namespace Hotpath.Caching;

/// <summary>Options of Hotpath's <see cref="Microsoft.Extensions.Caching.Distributed.IDistributedCache"/>, set through <c>AddDistributedCache(o => …)</c>.</summary>
public sealed class HotpathDistributedCacheOptions
{
    /// <summary>
    /// The sliding expiration of an entry written with no expiration at all, so nothing lives forever
    /// in a shared server. The default is 20 minutes.
    /// </summary>
    public TimeSpan DefaultSlidingExpiration { get; set; } = TimeSpan.FromMinutes(20);

    internal void Validate()
    {
        if (DefaultSlidingExpiration <= TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"{nameof(DefaultSlidingExpiration)} of the distributed cache must be positive; it is {DefaultSlidingExpiration}.");
        }
    }
}
