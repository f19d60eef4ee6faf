namespace Hotpath;

/// <summary>How the cache behaves while its server is failing: the circuit breaker and the invalidation replay queue.</summary>
public sealed class ResilienceOptions
{
    /// <summary>
    /// Consecutive faults after which the cache is skipped (reads go straight to the factory or miss)
    /// for <see cref="BreakDuration"/>, instead of every request paying the timeout. The default is 5.
    /// </summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>
    /// How long the cache is skipped once the breaker opens; then a single probe is let through, and
    /// its success closes the breaker (its failure opens it for another period). A probe that never
    /// reports (its caller was cancelled) is given up after the same period and the next call probes.
    /// The default is 5 seconds.
    /// </summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many failed invalidations (deletes, tag invalidations, pattern deletions, failed writes) are
    /// kept, deduplicated, to replay once the server answers. Past it the instance falls back to
    /// removing every Hotpath entry under its key prefix on recovery. The default is 10 000.
    /// </summary>
    public int InvalidationQueueCapacity { get; set; } = 10_000;

    /// <summary>How often a pending replay is retried while the server is down. The default is 250 milliseconds.</summary>
    public TimeSpan ReplayInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// On a replicated deployment (<c>redis+cluster://</c> or <c>redis+sentinel://</c>), whether an
    /// instance that loses a connection to any of its servers, or (on Sentinel) whose connection moves
    /// to another primary, resets the cache, as after an overflowed
    /// replay queue: every cached value written before reads as a miss on it at once and on the other
    /// instances when the backplane announces it, and until the reset has landed the instance trusts no
    /// server entry. Replication is asynchronous, so a replica promoted after a crash or a failover may
    /// lack writes the old primary acknowledged, and would otherwise serve the values they replaced; the
    /// price is a cold cache after every lost connection (a failover, a node restart, a network blip).
    /// Sessions and other <see cref="CacheEntryOptions.KeepOnReset"/> entries survive. Single-server URLs
    /// never reset for this. The default is <see langword="true"/>.
    /// </summary>
    public bool ResetOnFailover { get; set; } = true;

    internal void Validate()
    {
        if (FailureThreshold < 1)
        {
            throw new HotpathConfigurationException($"Hotpath:Resilience:FailureThreshold must be at least 1; it is {FailureThreshold}.");
        }

        if (BreakDuration <= TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"Hotpath:Resilience:BreakDuration must be positive; it is {BreakDuration}.");
        }

        if (InvalidationQueueCapacity < 1)
        {
            throw new HotpathConfigurationException($"Hotpath:Resilience:InvalidationQueueCapacity must be at least 1; it is {InvalidationQueueCapacity}.");
        }

        if (ReplayInterval <= TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"Hotpath:Resilience:ReplayInterval must be positive; it is {ReplayInterval}.");
        }
    }
}
