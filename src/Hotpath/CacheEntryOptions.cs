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

    /// <summary>Whether the entry is also kept in the in-process memory tier. <see langword="null"/> uses <see cref="MemoryTierOptions.Enabled"/>.</summary>
    public bool? UseMemoryTier { get; init; }

    /// <summary>Whether memory-tier hits deserialize a fresh copy. <see langword="null"/> uses <see cref="MemoryTierOptions.CopyOnRead"/>.</summary>
    public bool? CopyOnRead { get; init; }

    /// <summary>
    /// Keep the value for <see cref="HotpathOptions.FailSafeMaxDuration"/> past its time to live, and
    /// serve it from <c>GetOrSetAsync</c> when the factory fails or is slower than
    /// <see cref="FactorySoftTimeout"/>. <see langword="null"/> uses <see cref="HotpathOptions.FailSafe"/>.
    /// </summary>
    public bool? FailSafe { get; init; }

    /// <summary>
    /// With fail-safe and a stale value at hand, how long <c>GetOrSetAsync</c> waits for the factory
    /// before answering with the stale value (the factory goes on in the background and refreshes the
    /// entry). <see langword="null"/> uses <see cref="HotpathOptions.FactorySoftTimeout"/>.
    /// </summary>
    public TimeSpan? FactorySoftTimeout { get; init; }

    /// <summary>
    /// The longest <c>GetOrSetAsync</c> waits for the factory when there is no stale value; past it the
    /// call fails with <see cref="TimeoutException"/>. <see langword="null"/> uses <see cref="HotpathOptions.FactoryHardTimeout"/>.
    /// </summary>
    public TimeSpan? FactoryHardTimeout { get; init; }

    /// <summary>
    /// The fraction of the time to live after which a <c>GetOrSetAsync</c> hit also starts a background
    /// refresh, so a hot key never expires under load (e.g. 0.8). <see langword="null"/> uses
    /// <see cref="HotpathOptions.EagerRefreshThreshold"/>.
    /// </summary>
    public double? EagerRefreshThreshold { get; init; }

    /// <summary>
    /// Whether a <c>GetOrSetAsync</c> miss that finds another instance computing the key waits for that
    /// value (up to <see cref="HotpathOptions.LeaseWaitTimeout"/>) instead of running its own factory at
    /// once. The default is <see langword="true"/>.
    /// </summary>
    public bool StampedeProtection { get; init; } = true;

    /// <summary>
    /// Marks the entry as application state held only in the cache (a session, a cart) rather than a copy
    /// of data held elsewhere: it survives the reset that makes every cached value a miss after this
    /// instance lost track of failed invalidations (its replay queue overflowed during an outage, see
    /// <see cref="ResilienceOptions.InvalidationQueueCapacity"/>). The flip side: a delete of such an entry
    /// that was lost when the queue overflowed is not covered by the reset, and the entry lives until its
    /// time to live, so keep such entries short-lived (the sample's sessions end after 30 idle minutes).
    /// The default is <see langword="false"/>.
    /// </summary>
    public bool KeepOnReset { get; init; }

    /// <summary>Options with only a time to live.</summary>
    /// <param name="ttl">How long the entry lives.</param>
    public static CacheEntryOptions WithTtl(TimeSpan ttl) => new() { Ttl = ttl };

    /// <summary>Returns a copy of these options carrying <paramref name="tags"/> instead of the current tags.</summary>
    /// <param name="tags">The tags to carry.</param>
    public CacheEntryOptions WithTags(params string[] tags) => new()
    {
        Ttl = Ttl,
        Tags = tags,
        UseMemoryTier = UseMemoryTier,
        CopyOnRead = CopyOnRead,
        FailSafe = FailSafe,
        FactorySoftTimeout = FactorySoftTimeout,
        FactoryHardTimeout = FactoryHardTimeout,
        EagerRefreshThreshold = EagerRefreshThreshold,
        StampedeProtection = StampedeProtection,
        KeepOnReset = KeepOnReset,
    };
}
