using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Hotpath.RateLimiting;

/// <summary>
/// One policy's algorithm, limits and failure mode, shared by every partition's limiter of the policy:
/// the script, its arguments (precomputed for the common one-permit decision) and the in-process
/// limiter used when the server cannot be reached.
/// </summary>
internal abstract class RateLimitAlgorithm
{
    private readonly RedisValue[] _argumentsForOne;

    protected RateLimitAlgorithm(RateLimitPolicyInfo policy, RateLimiterFailureMode failureMode, string script, string keySuffix)
    {
        Policy = policy;
        FailureMode = failureMode;
        Script = script;
        KeySuffix = keySuffix;
        _argumentsForOne = Arguments(1);
    }

    public RateLimitPolicyInfo Policy { get; }

    public RateLimiterFailureMode FailureMode { get; }

    public string Script { get; }

    /// <summary>Ends the key, so a policy that changes algorithm never reads the other algorithm's state.</summary>
    public string KeySuffix { get; }

    /// <summary>The most permits one request may ask for.</summary>
    public int MaxPermits => (int)Policy.Limit;

    public RedisValue[] ArgumentsFor(int permits) => permits == 1 ? _argumentsForOne : Arguments(permits);

    protected abstract RedisValue[] Arguments(int permits);

    /// <summary>An in-process limiter of the same shape, for fail-open and for a disabled cache.</summary>
    public abstract RateLimiter CreateLocalLimiter();

    /// <summary>What a local decision reports as the time until the quota is whole again.</summary>
    public abstract TimeSpan LocalReset { get; }

    /// <summary>Local admission's settings; null when every decision is one script run.</summary>
    public abstract LocalAdmission? LocalAdmission { get; }

    /// <summary>The most partitions of the policy one instance keeps in process (<c>LocalAdmission.MaxPartitions</c>, whether or not local admission is on).</summary>
    public virtual int MaxPartitions => HotpathRateLimiterFactory.DefaultMaxPartitions;

    internal static long Milliseconds(TimeSpan value) => (long)Math.Ceiling(value.TotalMilliseconds);
}

internal sealed class FixedWindowAlgorithm(string policyName, HotpathFixedWindowRateLimiterOptions options)
    : RateLimitAlgorithm(new RateLimitPolicyInfo(policyName, options.PermitLimit, options.Window), options.FailureMode, RateLimitScripts.FixedWindow, "fw")
{
    private readonly int _limit = options.PermitLimit;
    private readonly TimeSpan _window = options.Window;

    public override TimeSpan LocalReset => _window;

    // Leased permits belong to the window that counted them: they expire with it.
    public override LocalAdmission? LocalAdmission { get; } = LocalAdmission.For(
        options.LocalAdmission, RateLimitScripts.FixedWindowLease, [options.PermitLimit, Milliseconds(options.Window)], options.Window, holdFromReset: true);

    public override int MaxPartitions { get; } = options.LocalAdmission.MaxPartitions;

    protected override RedisValue[] Arguments(int permits) => [_limit, Milliseconds(_window), permits];

    public override RateLimiter CreateLocalLimiter() => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
    {
        PermitLimit = _limit,
        Window = _window,
        QueueLimit = 0,
        AutoReplenishment = true,
    });
}

internal sealed class SlidingWindowAlgorithm(string policyName, HotpathSlidingWindowRateLimiterOptions options)
    : RateLimitAlgorithm(new RateLimitPolicyInfo(policyName, options.PermitLimit, options.Window), options.FailureMode, RateLimitScripts.SlidingWindow, "sw")
{
    // The in-process fallback slides in steps of a tenth of the window (or whole milliseconds).
    private const int LocalSegments = 10;

    private readonly int _limit = options.PermitLimit;
    private readonly TimeSpan _window = options.Window;

    public override TimeSpan LocalReset => _window;

    public override LocalAdmission? LocalAdmission => null;

    protected override RedisValue[] Arguments(int permits) => [_limit, Milliseconds(_window), permits];

    public override RateLimiter CreateLocalLimiter() => new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
    {
        PermitLimit = _limit,
        Window = _window,
        SegmentsPerWindow = (int)Math.Clamp(Milliseconds(_window), 1, LocalSegments),
        QueueLimit = 0,
        AutoReplenishment = true,
    });
}

internal sealed class TokenBucketAlgorithm(string policyName, HotpathTokenBucketRateLimiterOptions options)
    : RateLimitAlgorithm(new RateLimitPolicyInfo(policyName, options.TokenLimit, FillTime(options)), options.FailureMode, RateLimitScripts.TokenBucket, "tb")
{
    private readonly int _capacity = options.TokenLimit;
    private readonly int _rate = options.TokensPerPeriod;
    private readonly TimeSpan _period = options.ReplenishmentPeriod;

    public override TimeSpan LocalReset => Policy.Window;

    // Leased tokens left the bucket when they were leased, so holding them longer never hands out more
    // tokens in total; they are dropped after the fill time so an idle partition's allowance does not linger.
    public override LocalAdmission? LocalAdmission { get; } = LocalAdmission.For(
        options.LocalAdmission, RateLimitScripts.TokenBucketLease, [options.TokenLimit, options.TokensPerPeriod, Milliseconds(options.ReplenishmentPeriod)], FillTime(options), holdFromReset: false);

    public override int MaxPartitions { get; } = options.LocalAdmission.MaxPartitions;

    protected override RedisValue[] Arguments(int permits) => [_capacity, _rate, Milliseconds(_period), permits];


    public override RateLimiter CreateLocalLimiter() => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
    {
        TokenLimit = _capacity,
        TokensPerPeriod = _rate,
        ReplenishmentPeriod = _period,
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    /// <summary>The time an empty bucket takes to fill: what the policy advertises as its window.</summary>
    private static TimeSpan FillTime(HotpathTokenBucketRateLimiterOptions options) =>
        options.ReplenishmentPeriod * Math.Ceiling(options.TokenLimit / (double)options.TokensPerPeriod);
}

/// <summary>A policy's local admission settings, read once from its options.</summary>
internal sealed class LocalAdmission
{
    private readonly RedisValue[] _limits;

    private LocalAdmission(HotpathLocalAdmissionOptions options, string leaseScript, RedisValue[] limits, TimeSpan hold, bool holdFromReset)
    {
        BatchSize = options.BatchSize;
        MaxPartitions = options.MaxPartitions;
        LeaseScript = leaseScript;
        _limits = limits;
        Hold = hold;
        HoldFromReset = holdFromReset;
    }

    /// <summary>The permits one lease asks for.</summary>
    public int BatchSize { get; }

    /// <summary>The most partitions of the policy whose allowance an instance keeps.</summary>
    public int MaxPartitions { get; }

    /// <summary>The script that takes up to a batch from the server.</summary>
    public string LeaseScript { get; }

    /// <summary>How long leased permits stay usable at most.</summary>
    public TimeSpan Hold { get; }

    /// <summary>
    /// Whether leased permits expire with the server's window (the reset a lease returns): a fixed
    /// window's permits may only be used in the window that counted them.
    /// </summary>
    public bool HoldFromReset { get; }

    /// <summary>The allowance below which the next batch is leased in the background: half a batch.</summary>
    public int PrefetchBelow => (BatchSize + 1) / 2;

    public static LocalAdmission? For(HotpathLocalAdmissionOptions options, string leaseScript, RedisValue[] limits, TimeSpan hold, bool holdFromReset) =>
        options.Enabled ? new LocalAdmission(options, leaseScript, limits, hold, holdFromReset) : null;

    /// <summary>The lease script's arguments: the policy's limits, then the permits wanted.</summary>
    public RedisValue[] LeaseArguments(long want) => [.. _limits, want];
}
