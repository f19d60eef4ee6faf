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

    internal static long Milliseconds(TimeSpan value) => (long)Math.Ceiling(value.TotalMilliseconds);
}

internal sealed class FixedWindowAlgorithm(string policyName, HotpathFixedWindowRateLimiterOptions options)
    : RateLimitAlgorithm(new RateLimitPolicyInfo(policyName, options.PermitLimit, options.Window), options.FailureMode, RateLimitScripts.FixedWindow, "fw")
{
    private readonly int _limit = options.PermitLimit;
    private readonly TimeSpan _window = options.Window;

    public override TimeSpan LocalReset => _window;

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
