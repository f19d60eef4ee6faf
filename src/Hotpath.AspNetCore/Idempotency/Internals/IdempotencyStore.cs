using StackExchange.Redis;

namespace Hotpath.AspNetCore.Idempotency.Internals;

/// <summary>
/// Idempotency keys in the RESP server: <c>_hotpath:idem:user:{scope}:{key}</c> or
/// <c>_hotpath:idem:anonymous:{key}</c>, both parts escaped. One key per request key, touched only by
/// scripts that declare it, so it works on a cluster too.
/// </summary>
internal sealed class IdempotencyStore(IDatabase? database)
{
    internal const string KeyPrefix = "_hotpath:idem:";

    // Returns what the key holds, or claims it with the in-progress marker for a lease.
    private const string BeginScript = """
        local v = redis.call('GET', KEYS[1])
        if v then return v end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return false
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string CompleteScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
          return 1
        end
        return 0
        """;

    private const string AbandonScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    /// <summary>Null when the cache is disabled.</summary>
    public IDatabase? Database => database;

    public static string Key(string? scope, string idempotencyKey) => scope is null
        ? KeyPrefix + "anonymous:" + CacheKey.Escape(idempotencyKey)
        : KeyPrefix + "user:" + CacheKey.Escape(scope) + ":" + CacheKey.Escape(idempotencyKey);

    /// <summary>Claims the key; returns null when claimed, else the bytes it already holds.</summary>
    public async Task<byte[]?> BeginAsync(string key, byte[] marker, TimeSpan lease, CancellationToken cancellationToken)
    {
        var result = await database!.ScriptEvaluateAsync(BeginScript, [key], [marker, Milliseconds(lease)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return result.IsNull ? null : (byte[]?)result;
    }

    public async Task<bool> RenewAsync(string key, byte[] marker, TimeSpan lease) =>
        (long)await database!.ScriptEvaluateAsync(RenewScript, [key], [marker, Milliseconds(lease)]).ConfigureAwait(false) == 1;

    public async Task<bool> CompleteAsync(string key, byte[] marker, byte[] record, TimeSpan retention) =>
        (long)await database!.ScriptEvaluateAsync(CompleteScript, [key], [marker, record, Milliseconds(retention)]).ConfigureAwait(false) == 1;

    public async Task AbandonAsync(string key, byte[] marker) =>
        await database!.ScriptEvaluateAsync(AbandonScript, [key], [marker]).ConfigureAwait(false);

    private static long Milliseconds(TimeSpan span) => Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds));
}
