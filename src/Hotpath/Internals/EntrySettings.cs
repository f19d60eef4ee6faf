namespace Hotpath.Internals;

/// <summary><see cref="CacheEntryOptions"/> resolved against <see cref="HotpathOptions"/> once per call.</summary>
internal readonly struct EntrySettings
{
    public EntrySettings(CacheEntryOptions? entry, HotpathOptions options, TimeSpan ttl)
    {
        Ttl = ttl;
        Tags = entry?.Tags is { Count: > 0 } tags ? tags : null;
        UseMemory = entry?.UseMemoryTier ?? options.L1.Enabled;
        CopyOnRead = entry?.CopyOnRead ?? options.L1.CopyOnRead;
        FailSafe = entry?.FailSafe ?? options.FailSafe;
        SoftTimeout = entry?.FactorySoftTimeout ?? options.FactorySoftTimeout;
        HardTimeout = entry?.FactoryHardTimeout ?? options.FactoryHardTimeout;
        EagerRefreshThreshold = entry?.EagerRefreshThreshold ?? options.EagerRefreshThreshold;
        StampedeProtection = entry?.StampedeProtection ?? true;
        KeepOnReset = entry?.KeepOnReset ?? false;
        PhysicalTtl = FailSafe ? ttl + options.FailSafeMaxDuration : ttl;
    }

    public TimeSpan Ttl { get; }

    /// <summary>How long the key lives on the server: the time to live, plus the fail-safe period when on.</summary>
    public TimeSpan PhysicalTtl { get; }

    public IReadOnlyList<string>? Tags { get; }

    public bool UseMemory { get; }

    public bool CopyOnRead { get; }

    public bool FailSafe { get; }

    public TimeSpan? SoftTimeout { get; }

    public TimeSpan? HardTimeout { get; }

    public double? EagerRefreshThreshold { get; }

    public bool StampedeProtection { get; }

    public bool KeepOnReset { get; }
}
