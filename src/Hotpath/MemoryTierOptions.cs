namespace Hotpath;

/// <summary>
/// Options of the in-process memory tier (L1) in front of the RESP server. An L1 hit returns the
/// stored instance without deserializing, so cached objects must be treated as immutable; set
/// <see cref="CopyOnRead"/> (or <see cref="CacheEntryOptions.CopyOnRead"/>) for mutable types.
/// Instances are kept coherent by a backplane over the server's pub/sub.
/// </summary>
public sealed class MemoryTierOptions
{
    /// <summary>Whether the memory tier is on. The default is <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The most entries the tier holds; past it the least recently read are evicted. The default is 10 000.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>
    /// The most distinct tags the tier remembers: invalidations it has heard of and versions it has read.
    /// Past it the tier forgets them all at once and treats every tagged entry it holds as outdated (the
    /// next read of each goes to the server), so memory stays bounded under any number of tags and
    /// forgetting never revives an invalidated entry. The default is 10 000.
    /// </summary>
    public int MaxTags { get; set; } = 10_000;

    /// <summary>
    /// An approximate budget for the tier, counted as the serialized size of its entries. The default is 64 MiB.
    /// </summary>
    public long MaxSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The longest an entry stays in the tier; it never outlives the server entry. The default is 5 minutes.
    /// </summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Up to this fraction of an entry's memory lifetime is cut at random, so entries written together do
    /// not all expire together. The default is 0.1.
    /// </summary>
    public double Jitter { get; set; } = 0.1;

    /// <summary>
    /// Store serialized bytes and deserialize on every hit, so each reader gets its own copy. The default is
    /// <see langword="false"/> (the stored instance is shared).
    /// </summary>
    public bool CopyOnRead { get; set; }

    internal void Validate()
    {
        if (MaxTags < 1)
        {
            throw new HotpathConfigurationException($"Hotpath:L1:MaxTags must be at least 1; it is {MaxTags}.");
        }

        if (MaxEntries < 1)
        {
            throw new HotpathConfigurationException($"Hotpath:L1:MaxEntries must be at least 1; it is {MaxEntries}.");
        }

        if (MaxSizeBytes < 1024)
        {
            throw new HotpathConfigurationException($"Hotpath:L1:MaxSizeBytes must be at least 1024; it is {MaxSizeBytes}.");
        }

        if (MaxDuration <= TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"Hotpath:L1:MaxDuration must be positive; it is {MaxDuration}.");
        }

        if (Jitter is < 0 or >= 1 || double.IsNaN(Jitter))
        {
            throw new HotpathConfigurationException($"Hotpath:L1:Jitter must be at least 0 and below 1; it is {Jitter}.");
        }
    }
}
