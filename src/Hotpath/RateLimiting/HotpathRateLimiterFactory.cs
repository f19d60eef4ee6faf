using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Hotpath.Internals;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Hotpath.RateLimiting;

/// <summary>
/// Creates <see cref="RateLimiter"/>s whose state lives on the cache server, shared by every instance
/// of the application: fixed window, sliding window (two weighted counters) and token bucket. Registered
/// as a singleton by <c>AddHotpath(...).AddRateLimiting()</c>; ASP.NET Core policies use it for you.
/// </summary>
/// <remarks>
/// <para>
/// A limiter's <c>AcquireAsync</c> costs one round trip (one atomic script run) and never queues: it
/// grants or refuses at once, and a refusal carries a retry-after. Its synchronous <c>AttemptAcquire</c>
/// does not touch the network and returns a lease that is not acquired, so use <c>AcquireAsync</c>
/// (the ASP.NET Core middleware does). The lease carries a <see cref="HotpathRateLimitDecision"/> as
/// <see cref="HotpathRateLimitMetadata.Decision"/>.
/// </para>
/// <para>
/// With <see cref="HotpathLocalAdmissionOptions"/> on (fixed window and token bucket), a limiter leases
/// a batch of permits in one script run and admits from it without a round trip, leasing the next batch
/// in the background; the limit still holds across instances (see the options).
/// </para>
/// <para>
/// When the server cannot be reached the policy's <see cref="RateLimiterFailureMode"/> applies; the
/// fault is logged once per burst and counted. With the cache disabled (<c>REDIS_URL=none</c>) every
/// limiter counts in process, per instance.
/// </para>
/// <para>
/// State is one small hash per partition under <c>{rl:policy:partition}:fw</c> (<c>:sw</c>, <c>:tb</c>),
/// with the global key prefix before it, expiring when it no longer matters. Policy names and partition
/// keys are escaped like <see cref="CacheKey"/> parts; a partition key longer than 128 characters once
/// escaped is replaced by its SHA-256, so a key stays short whatever a client sends.
/// </para>
/// </remarks>
public sealed class HotpathRateLimiterFactory
{
    internal const int MaxPartitionLength = 128;

    /// <summary>The partitions a policy keeps in process when it says nothing else: the default of <c>LocalAdmission.MaxPartitions</c>.</summary>
    internal static readonly int DefaultMaxPartitions = new HotpathLocalAdmissionOptions().MaxPartitions;

    private readonly RateLimitingMetrics _metrics;
    private readonly RateLimitFaultReporter _faults;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PartitionMap<LocalAllowance>> _allowances = new(StringComparer.Ordinal);
    private long _serverCalls;

    internal HotpathRateLimiterFactory(HotpathConnection connection, HotpathMetrics metrics, ILoggerFactory loggerFactory, TimeProvider time, TimeSpan faultLogInterval, TimeSpan unavailableRetryAfter)
    {
        Database = connection.Database;
        UnavailableRetryAfter = unavailableRetryAfter;
        _metrics = new RateLimitingMetrics(metrics.Meter);
        var logger = loggerFactory.CreateLogger("Hotpath.RateLimiting");
        _faults = new RateLimitFaultReporter(logger, time, faultLogInterval);
        if (connection.IsDisabled)
        {
            Log.CountingInProcess(logger);
        }
    }

    /// <summary>The key-prefixed database; null when the cache is disabled.</summary>
    internal IDatabase? Database { get; }

    internal TimeSpan UnavailableRetryAfter { get; }

    internal long TotalFaults => _faults.TotalFaults;

    /// <summary>The script runs the limiters of this factory have sent, decisions and leases alike.</summary>
    internal long ServerCalls => Interlocked.Read(ref _serverCalls);

    /// <summary>Told of every decision but those of request-aware limiters (whose caller attaches them itself); the ASP.NET Core integration attaches decisions to the current request.</summary>
    internal Action<HotpathRateLimitDecision>? Observer { get; set; }

    /// <summary>
    /// Whether a synchronous <c>AttemptAcquire</c> may admit from a partition's leased allowance right now;
    /// unset, it may. The ASP.NET Core integration refuses it for a request whose endpoint has a rate
    /// limiting policy of its own, where the middleware would drop the admitted lease and acquire again.
    /// </summary>
    internal Func<bool>? AdmitsSynchronously { get; set; }

    /// <summary>
    /// Creates the limiter of one partition of a fixed window policy. Creating is free of I/O; limiters
    /// of the same policy name and partition key share their count, in every process.
    /// </summary>
    /// <param name="policyName">The policy's name: part of the key, and what response headers show.</param>
    /// <param name="partitionKey">Whose quota this is (an address, a user id…); escaped into the key.</param>
    /// <param name="options">The limits; read once, here.</param>
    /// <returns>A limiter; dispose it when done (it holds no connection of its own).</returns>
    /// <exception cref="ArgumentException">A name is empty or an option is out of range.</exception>
    public RateLimiter CreateFixedWindowLimiter(string policyName, string partitionKey, HotpathFixedWindowRateLimiterOptions options) =>
        Create(FixedWindow(policyName, options), partitionKey);

    /// <summary>Creates the limiter of one partition of a sliding window policy; see <see cref="CreateFixedWindowLimiter"/>.</summary>
    /// <param name="policyName">The policy's name: part of the key, and what response headers show.</param>
    /// <param name="partitionKey">Whose quota this is; escaped into the key.</param>
    /// <param name="options">The limits; read once, here.</param>
    /// <returns>A limiter; dispose it when done.</returns>
    /// <exception cref="ArgumentException">A name is empty or an option is out of range.</exception>
    public RateLimiter CreateSlidingWindowLimiter(string policyName, string partitionKey, HotpathSlidingWindowRateLimiterOptions options) =>
        Create(SlidingWindow(policyName, options), partitionKey);

    /// <summary>Creates the limiter of one partition of a token bucket policy; see <see cref="CreateFixedWindowLimiter"/>.</summary>
    /// <param name="policyName">The policy's name: part of the key, and what response headers show.</param>
    /// <param name="partitionKey">Whose quota this is; escaped into the key.</param>
    /// <param name="options">The limits; read once, here.</param>
    /// <returns>A limiter; dispose it when done.</returns>
    /// <exception cref="ArgumentException">A name is empty or an option is out of range.</exception>
    public RateLimiter CreateTokenBucketLimiter(string policyName, string partitionKey, HotpathTokenBucketRateLimiterOptions options) =>
        Create(TokenBucket(policyName, options), partitionKey);

    /// <summary>
    /// Creates a fixed window limiter partitioned by a string key, for code that knows the partition
    /// only inside a handler (say, an e-mail address from the request body):
    /// <c>await limiter.AcquireAsync(CacheKey.Join(email, ip))</c>. Per-partition limiters are created on
    /// first use and dropped when idle; the counts live on the server.
    /// </summary>
    /// <param name="policyName">The policy's name: part of every key, and what response headers show.</param>
    /// <param name="options">The limits; read once, here.</param>
    /// <returns>A partitioned limiter; keep one per policy (a singleton) and dispose it with the application.</returns>
    /// <exception cref="ArgumentException">The name is empty or an option is out of range.</exception>
    public PartitionedRateLimiter<string> CreatePartitionedFixedWindowLimiter(string policyName, HotpathFixedWindowRateLimiterOptions options) =>
        Partitioned(FixedWindow(policyName, options));

    /// <summary>Creates a sliding window limiter partitioned by a string key; see <see cref="CreatePartitionedFixedWindowLimiter"/>.</summary>
    /// <param name="policyName">The policy's name: part of every key, and what response headers show.</param>
    /// <param name="options">The limits; read once, here.</param>
    /// <returns>A partitioned limiter; keep one per policy.</returns>
    /// <exception cref="ArgumentException">The name is empty or an option is out of range.</exception>
    public PartitionedRateLimiter<string> CreatePartitionedSlidingWindowLimiter(string policyName, HotpathSlidingWindowRateLimiterOptions options) =>
        Partitioned(SlidingWindow(policyName, options));

    /// <summary>Creates a token bucket limiter partitioned by a string key; see <see cref="CreatePartitionedFixedWindowLimiter"/>.</summary>
    /// <param name="policyName">The policy's name: part of every key, and what response headers show.</param>
    /// <param name="options">The limits; read once, here.</param>
    /// <returns>A partitioned limiter; keep one per policy.</returns>
    /// <exception cref="ArgumentException">The name is empty or an option is out of range.</exception>
    public PartitionedRateLimiter<string> CreatePartitionedTokenBucketLimiter(string policyName, HotpathTokenBucketRateLimiterOptions options) =>
        Partitioned(TokenBucket(policyName, options));

    internal static FixedWindowAlgorithm FixedWindow(string policyName, HotpathFixedWindowRateLimiterOptions options)
    {
        RateLimiterValidation.Name(policyName, nameof(policyName));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new FixedWindowAlgorithm(policyName, options);
    }

    internal static SlidingWindowAlgorithm SlidingWindow(string policyName, HotpathSlidingWindowRateLimiterOptions options)
    {
        RateLimiterValidation.Name(policyName, nameof(policyName));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new SlidingWindowAlgorithm(policyName, options);
    }

    internal static TokenBucketAlgorithm TokenBucket(string policyName, HotpathTokenBucketRateLimiterOptions options)
    {
        RateLimiterValidation.Name(policyName, nameof(policyName));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new TokenBucketAlgorithm(policyName, options);
    }

    internal RateLimiter Create(RateLimitAlgorithm algorithm, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        return new RedisRateLimiter(this, algorithm, Key(algorithm, partitionKey));
    }

    /// <summary>
    /// The partitions of one policy for a caller that holds each request: limiters that leave attaching
    /// decisions and allowing synchronous admission to that caller, kept in a map bounded by the policy's
    /// <c>LocalAdmission.MaxPartitions</c> (10 000 for a sliding window); a dropped limiter is disposed.
    /// </summary>
    internal static PartitionMap<RedisRateLimiter> RequestAwarePartitions(RateLimitAlgorithm algorithm) => new(algorithm.MaxPartitions);

    /// <summary>A request-aware limiter for one partition; see <see cref="RequestAwarePartitions"/>.</summary>
    internal RedisRateLimiter CreateRequestAware(RateLimitAlgorithm algorithm, string partitionKey) =>
        new(this, algorithm, Key(algorithm, partitionKey), requestAware: true);

    private PartitionedRateLimiter<string> Partitioned(RateLimitAlgorithm algorithm)
    {
        Func<string, RateLimiter> create = key => Create(algorithm, key);
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key ?? string.Empty, create), StringComparer.Ordinal);
    }

    /// <summary><c>{rl:policy:partition}:suffix</c>: one hash tag around everything that names the partition.</summary>
    internal static string Key(RateLimitAlgorithm algorithm, string partitionKey)
    {
        var partition = CacheKey.Escape(partitionKey);
        if (partition.Length > MaxPartitionLength)
        {
            partition = Hashed(partitionKey);
        }

        return $"{{rl:{CacheKey.Escape(algorithm.Policy.Name)}:{partition}}}:{algorithm.KeySuffix}";
    }

    /// <summary>A partition key that stands for <paramref name="partitionKey"/> in at most 71 characters: <c>sha256-</c> and its hash.</summary>
    internal static string Hashed(string partitionKey) =>
        "sha256-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(partitionKey)));

    /// <summary>The partition key itself when it is at most <see cref="MaxPartitionLength"/> characters, else <see cref="Hashed"/>: what an in-process map may hold, whatever a client sent.</summary>
    internal static string Bounded(string partitionKey) =>
        partitionKey.Length <= MaxPartitionLength ? partitionKey : Hashed(partitionKey);

    internal void Decided(HotpathRateLimitDecision decision, bool observe)
    {
        _metrics.Decided(decision);
        if (observe)
        {
            Observer?.Invoke(decision);
        }
    }

    internal void Faulted(RateLimitAlgorithm algorithm, Exception exception)
    {
        _metrics.Error(algorithm.Policy.Name);
        _faults.Report(algorithm, exception);
    }

    internal void Succeeded() => _faults.Succeeded();

    internal void CountServerCall() => Interlocked.Increment(ref _serverCalls);

    /// <summary>
    /// The allowances of a policy under local admission, one store per policy name and algorithm, bounded
    /// by the <c>MaxPartitions</c> of the first limiter created for the policy.
    /// </summary>
    internal PartitionMap<LocalAllowance> Allowances(RateLimitAlgorithm algorithm, LocalAdmission admission) =>
        _allowances.GetOrAdd(CacheKey.Escape(algorithm.Policy.Name) + ":" + algorithm.KeySuffix, static (_, capacity) => new PartitionMap<LocalAllowance>(capacity), admission.MaxPartitions);
}
