namespace Hotpath;

/// <summary>
/// Per-entry options for a write or a <c>GetOrSetAsync</c>. Anything left unset falls back to
/// <see cref="HotpathOptions"/>. Instances are immutable and can be shared as static fields.
/// </summary>
public sealed class CacheEntryOptions
{
    /// <summary>
    /// How long the entry lives in the cache. <see langword="null"/> uses
    /// <see cref="HotpathOptions.DefaultTtl"/>. Must be positive.
    /// </summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>
    /// Tags carried by the entry. <see cref="ICache.InvalidateTagAsync"/> on any of them makes the
    /// entry a miss everywhere, in one round trip however many entries carry the tag.
    /// The default is no tags.
    /// </summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Options with only a time to live.</summary>
    /// <param name="ttl">How long the entry lives.</param>
    public static CacheEntryOptions WithTtl(TimeSpan ttl) => new() { Ttl = ttl };

    /// <summary>Returns a copy of these options carrying <paramref name="tags"/> as well.</summary>
    /// <param name="tags">The tags to carry.</param>
    public CacheEntryOptions WithTags(params string[] tags) => new() { Ttl = Ttl, Tags = tags };
}
