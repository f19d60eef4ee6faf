namespace Hotpath.Locking;

/// <summary>Options of <see cref="ILockService"/>, set through <c>AddLocks(o => …)</c>.</summary>
public sealed class LockOptions
{
    /// <summary>
    /// Whether a held lock's lease is extended automatically, by a timer at a third of the lease, until
    /// the handle is disposed. When an extension finds the lock gone or held by another, or cannot
    /// reach the server before the lease ends, <see cref="LockHandle.HandleLostToken"/> is cancelled.
    /// Costs one round trip per extension. The default is <see langword="false"/>.
    /// </summary>
    public bool AutoExtend { get; set; }

    /// <summary>The first back-off between attempts while waiting for a lock held elsewhere. The default is 10 milliseconds.</summary>
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The longest back-off between attempts while waiting (the back-off doubles from
    /// <see cref="MinRetryDelay"/>, with jitter). The default is 200 milliseconds.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a lock name's fencing counter is kept after its last acquisition. A counter that
    /// expired (or was evicted) restarts from the server's clock in microseconds, which is larger than
    /// any token it handed out before, so fencing tokens keep increasing; the retention only bounds
    /// memory for names that are no longer used. The default is 7 days.
    /// </summary>
    public TimeSpan FencingCounterRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Maps a lock name to the <c>lock</c> tag of the <c>hotpath.lock.*</c> metrics. Never return the
    /// name itself when it carries user input: return a fixed label per kind of lock (e.g. everything
    /// before the first <c>:</c> of names you build as <c>order:{id}</c>). Past 32 distinct labels the
    /// rest are counted as <c>(other)</c>. The default is <see langword="null"/>: every lock is
    /// labelled <c>default</c>.
    /// </summary>
    public Func<string, string>? MetricsLabel { get; set; }

    internal void Validate()
    {
        if (MinRetryDelay <= TimeSpan.Zero || MaxRetryDelay < MinRetryDelay)
        {
            throw new HotpathConfigurationException($"Lock retry delays must be positive with {nameof(MaxRetryDelay)} >= {nameof(MinRetryDelay)}; they are {MinRetryDelay} and {MaxRetryDelay}.");
        }

        if (FencingCounterRetention < TimeSpan.FromSeconds(1))
        {
            throw new HotpathConfigurationException($"Lock {nameof(FencingCounterRetention)} must be at least one second; it is {FencingCounterRetention}.");
        }
    }
}
