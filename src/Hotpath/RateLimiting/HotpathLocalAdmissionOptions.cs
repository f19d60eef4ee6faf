namespace Hotpath.RateLimiting;

/// <summary>
/// Local admission for a fixed window or token bucket policy: each instance leases a batch of permits
/// from the server in one script run and admits from that allowance without a round trip, leasing the
/// next batch in the background when half of it is used. Off by default (<see cref="BatchSize"/> 0):
/// every decision is then one script run.
/// </summary>
/// <remarks>
/// Leased permits are taken from the server's count when they are leased, so the policy never admits
/// more than its limit per window (a bucket never hands out more tokens than it holds); permits an
/// instance leased and did not use are lost when their window ends or the partition is evicted, which
/// can only admit fewer. When the server answers that fewer than <see cref="BatchSize"/> permits are
/// left, the partition goes back to one script run per decision until its window resets or its bucket
/// refills. See docs/rate-limiting.md for the bounds.
/// </remarks>
public sealed class HotpathLocalAdmissionOptions
{
    /// <summary>The most partitions <see cref="MaxPartitions"/> accepts.</summary>
    public const int MaxPartitionsLimit = 10_000_000;

    /// <summary>
    /// The permits one lease takes from the server: 0 (off, the default) or between 2 and the policy's
    /// limit. A larger batch means fewer round trips (about one per <c>BatchSize / 2</c> admissions) and
    /// more permits an instance can hold unused. Half a batch should outlast one lease's round trip at the
    /// partition's peak rate on one instance; a smaller batch runs dry and its requests wait for the lease.
    /// </summary>
    public int BatchSize { get; set; }

    /// <summary>
    /// The most partitions of the policy whose allowance an instance keeps; beyond it the least recently
    /// used are dropped, with their leased permits. A <c>HotpathPartitionedRateLimiter</c> keeps at most this
    /// many partition limiters too, whether or not local admission is on. The default is 10 000.
    /// </summary>
    public int MaxPartitions { get; set; } = 10_000;

    /// <summary>Whether local admission is on.</summary>
    internal bool Enabled => BatchSize > 0;

    internal void Validate(long limit, string limitName)
    {
        if (BatchSize != 0 && (BatchSize < 2 || BatchSize > limit))
        {
            throw new ArgumentOutOfRangeException("LocalAdmission.BatchSize", BatchSize, $"LocalAdmission.BatchSize must be 0 (off) or between 2 and {limitName} ({limit}).");
        }

        if (MaxPartitions < 1 || MaxPartitions > MaxPartitionsLimit)
        {
            throw new ArgumentOutOfRangeException("LocalAdmission.MaxPartitions", MaxPartitions, $"LocalAdmission.MaxPartitions must be between 1 and {MaxPartitionsLimit}.");
        }
    }
}
