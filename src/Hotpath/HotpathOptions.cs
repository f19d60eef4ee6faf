using System.Text.Json;
using Hotpath.Serialization;

namespace Hotpath;

/// <summary>
/// Cache-wide options. They bind from the <c>Hotpath</c> configuration section; the
/// <c>REDIS_URL</c> setting (usually an environment variable) overrides <see cref="RedisUrl"/>.
/// </summary>
public sealed class HotpathOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Hotpath";

    /// <summary>The name of the setting that chooses the server.</summary>
    public const string RedisUrlSetting = "REDIS_URL";

    /// <summary>
    /// Where the cache lives. <see langword="null"/> (the default) starts an embedded Garnet server
    /// when the Hotpath.Embedded package is referenced; <c>""</c> or <c>none</c> disables the cache;
    /// otherwise <c>redis://[user:password@]host[:port][/db]</c>, <c>rediss://…</c> for TLS,
    /// <c>redis+cluster://host:port[,host:port…]</c>, a comma-separated list of <c>redis://</c> nodes,
    /// <c>redis+sentinel://host:port[,host:port…]/service[/db]</c> for a primary found through Redis Sentinel, or a
    /// StackExchange.Redis configuration string (<c>host:port,password=…,ssl=true</c>; several hosts are a cluster).
    /// </summary>
    public string? RedisUrl { get; set; }

    /// <summary>
    /// A prefix put before every key (for example <c>shop:prod:</c>) so several applications can share
    /// one server. The default is none.
    /// </summary>
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>The time to live of an entry written without one. The default is 5 minutes.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest a cache operation waits for the server before it counts as a fault (a read becomes
    /// a miss). The default is 500 milliseconds.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a connection attempt waits. The default is 2 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest accepted key, in characters. The default is 1024.</summary>
    public int MaxKeyLength { get; set; } = 1024;

    /// <summary>
    /// How long a <c>GetOrSetAsync</c> miss (or a response-cache miss) holds the key's lease while its
    /// factory (or handler) runs. A delete or a write of the key during that time voids the lease, and
    /// the result is then returned but not cached; so is a result that took longer than the lease. Raise
    /// it for factories or endpoints slower than that. The default is 10 seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a <c>GetOrSetAsync</c> caller that finds another instance computing the key waits for
    /// that value before it runs the factory itself. The default is 2 seconds.
    /// </summary>
    public TimeSpan LeaseWaitTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many keys pattern deletion scans and unlinks per round trip. The default is 500.</summary>
    public int PatternBatchSize { get; set; } = 500;

    /// <summary>
    /// Whether the connection reads and writes its sockets on the .NET thread pool
    /// (StackExchange.Redis's <c>SocketManager.ThreadPool</c>) instead of the client's shared dedicated
    /// threads. On a machine with few cores the dedicated threads compete with the request threads, and
    /// every reply wakes them: the thread pool costs less CPU per round trip. The dedicated threads keep
    /// replies flowing while code that blocks on tasks starves the thread pool, so turn this on only in
    /// an application that awaits; Hotpath's own synchronous entry points block too (the synchronous
    /// <c>IDistributedCache</c> methods, invalidation after a synchronous EF Core <c>SaveChanges</c>). Bound from <c>Hotpath:SocketIOOnThreadPool</c>. The default is <see langword="false"/>.
    /// </summary>
    public bool SocketIOOnThreadPool { get; set; }

    /// <summary>
    /// Faults of one kind are logged at most once per this interval, with a count of those not logged.
    /// The default is 30 seconds.
    /// </summary>
    public TimeSpan FaultLogInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When <see langword="true"/>, a set or delete that fails throws instead of being logged and
    /// dropped. Reads never throw for faults. The default is <see langword="false"/>.
    /// </summary>
    public bool ThrowOnWriteErrors { get; set; }

    /// <summary>
    /// The JSON options used by the default serializer. The default is <see cref="JsonSerializerDefaults.Web"/>.
    /// Set a source-generated context as <see cref="JsonSerializerOptions.TypeInfoResolver"/> to avoid reflection.
    /// </summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>A serializer to use instead of System.Text.Json. The default is none.</summary>
    public ICacheSerializer? Serializer { get; set; }

    /// <summary>The circuit breaker and the replay of invalidations that failed while the server was down.</summary>
    public ResilienceOptions Resilience { get; set; } = new();

    /// <summary>Options of the in-process memory tier (L1). On by default.</summary>
    public MemoryTierOptions L1 { get; set; } = new();

    /// <summary>
    /// Whether entries keep a stale copy past their time to live for <c>GetOrSetAsync</c> to fall back on
    /// when the factory fails or is slow. The default is <see langword="false"/>; per entry with
    /// <see cref="CacheEntryOptions.FailSafe"/>.
    /// </summary>
    public bool FailSafe { get; set; }

    /// <summary>How long a fail-safe entry is kept past its time to live. The default is 1 hour.</summary>
    public TimeSpan FailSafeMaxDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// After a fail-safe fallback, how long the stale value is served before the factory is tried again.
    /// The default is 30 seconds.
    /// </summary>
    public TimeSpan FailSafeThrottleDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With a stale value at hand, how long <c>GetOrSetAsync</c> waits for the factory before serving the
    /// stale value. The default is none (wait for the factory).
    /// </summary>
    public TimeSpan? FactorySoftTimeout { get; set; }

    /// <summary>
    /// The longest <c>GetOrSetAsync</c> waits for a factory; past it the call fails with
    /// <see cref="TimeoutException"/>. The default is none.
    /// </summary>
    public TimeSpan? FactoryHardTimeout { get; set; }

    /// <summary>
    /// The fraction of an entry's time to live after which a <c>GetOrSetAsync</c> hit refreshes it in the
    /// background (between 0 and 1 exclusive). The default is none (no eager refresh).
    /// </summary>
    public double? EagerRefreshThreshold { get; set; }

    /// <summary>Options of the embedded server used when <see cref="RedisUrl"/> is not set.</summary>
    public EmbeddedServerOptions Embedded { get; set; } = new();

    /// <summary>
    /// The setting <see cref="RedisUrl"/> was taken from when it is not <c>REDIS_URL</c> (a named connection
    /// string), and the value it gave (null when that setting is missing). Errors name it while
    /// <see cref="RedisUrl"/> still holds that value; code that sets <see cref="RedisUrl"/> afterwards wins.
    /// </summary>
    internal (string Setting, string? Value)? RedisUrlSource { get; set; }

    /// <summary>The server <see cref="RedisUrl"/> names; errors name the setting it came from.</summary>
    /// <exception cref="HotpathConfigurationException">The value is invalid, or a named connection string is missing.</exception>
    internal RedisConnectionSettings ParseServer()
    {
        if (RedisUrlSource is { } source && string.Equals(source.Value, RedisUrl, StringComparison.Ordinal))
        {
            if (source.Value is null)
            {
                throw new HotpathConfigurationException(
                    $"{source.Setting} is not set (or is empty), and it names the server: the connection name was given to AddHotpath. " +
                    $"Set it (environment variable {source.Setting.Replace(":", "__", StringComparison.Ordinal)}; Aspire sets it for a referenced resource) " +
                    "to a redis://, rediss:// or redis+cluster:// URL or a StackExchange.Redis configuration string (host:port,password=...), or to 'none' to disable the cache.");
            }

            return RedisConnectionSettings.Parse(RedisUrl, source.Setting);
        }

        return RedisConnectionSettings.Parse(RedisUrl);
    }

    internal void Validate()
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new HotpathConfigurationException($"Hotpath:{name} must be a positive time span; it is {value}.");
            }
        }

        Positive(DefaultTtl, nameof(DefaultTtl));
        Positive(OperationTimeout, nameof(OperationTimeout));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(LeaseDuration, nameof(LeaseDuration));
        Positive(FaultLogInterval, nameof(FaultLogInterval));
        if (LeaseWaitTimeout < TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"Hotpath:{nameof(LeaseWaitTimeout)} must be zero or positive; it is {LeaseWaitTimeout}.");
        }

        if (MaxKeyLength is < 16 or > 512 * 1024)
        {
            throw new HotpathConfigurationException($"Hotpath:{nameof(MaxKeyLength)} must be between 16 and 524288; it is {MaxKeyLength}.");
        }

        if (PatternBatchSize is < 1 or > 100_000)
        {
            throw new HotpathConfigurationException($"Hotpath:{nameof(PatternBatchSize)} must be between 1 and 100000; it is {PatternBatchSize}.");
        }

        if (KeyPrefix is null)
        {
            throw new HotpathConfigurationException($"Hotpath:{nameof(KeyPrefix)} must not be null; use an empty string for no prefix.");
        }

        Positive(FailSafeMaxDuration, nameof(FailSafeMaxDuration));
        Positive(FailSafeThrottleDuration, nameof(FailSafeThrottleDuration));
        if (FactorySoftTimeout is { } soft)
        {
            Positive(soft, nameof(FactorySoftTimeout));
        }

        if (FactoryHardTimeout is { } hard)
        {
            Positive(hard, nameof(FactoryHardTimeout));
        }

        if (EagerRefreshThreshold is { } threshold && (threshold is <= 0 or >= 1 || double.IsNaN(threshold)))
        {
            throw new HotpathConfigurationException($"Hotpath:{nameof(EagerRefreshThreshold)} must be above 0 and below 1; it is {threshold}.");
        }

        L1.Validate();
        Resilience.Validate();
        Embedded.Validate();
    }
}
