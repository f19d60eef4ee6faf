namespace Hotpath.RateLimiting;

/// <summary>
/// One partition's leased permits in this process, under local admission: what is left of the leases,
/// until when it may be used, what the server said at the last call, and the one lease in flight.
/// Every field but <see cref="LastUsed"/> and <see cref="Evicted"/> is read and written under
/// <see cref="Gate"/>, which is never held across an await.
/// </summary>
internal sealed class LocalAllowance : IPartitionEntry
{
    public readonly Lock Gate = new();

    /// <summary>Leased permits not yet admitted.</summary>
    public long Permits;

    /// <summary>When <see cref="Permits"/> stop being usable (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public long Expires;

    /// <summary>The permits the server had left after the last call.</summary>
    public long ServerRemaining;

    /// <summary>When the server's quota is whole again, as of the last call (timestamp; 0 when unknown).</summary>
    public long ResetAt;

    /// <summary>When a refused lease may be retried (timestamp).</summary>
    public long RetryAt;

    /// <summary>Whether the partition is near its limit: decisions are then one script run each.</summary>
    public bool Exact;

    /// <summary>The lease in flight, if any: at most one per partition and process.</summary>
    public TaskCompletionSource<LeaseOutcome>? Pending;

    /// <summary>When the partition was last asked for a permit (timestamp); read without the gate by eviction.</summary>
    public long LastUsed = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Set when the map dropped this allowance: its limiters look the partition up again.</summary>
    public volatile bool Evicted;

    long IPartitionEntry.LastUsed => Volatile.Read(ref LastUsed);

    void IPartitionEntry.Evicted() => Evicted = true;
}

/// <summary>How a lease ended.</summary>
internal enum LeaseOutcome
{
    /// <summary>The server granted at least one permit.</summary>
    Granted,

    /// <summary>The server had no permit left.</summary>
    Refused,

    /// <summary>The server could not be reached.</summary>
    Faulted,
}
