using StackExchange.Redis;

namespace Hotpath.Locking.Internals;

/// <summary>
/// Locks in the RESP server. A lock is the key <c>_hotpath:lock:{name}</c> holding its owner's id
/// with a <c>PX</c> lease; its fencing counter is <c>_hotpath:lock:{name}:fence</c>. Both share the
/// hash tag <c>{name}</c> (the name escaped, so it cannot close the tag), so the acquire script's two
/// keys live in one slot on a cluster, and every script declares the keys it touches.
/// </summary>
internal sealed class RedisLockStore(IDatabase database, LockOptions options) : ILockStore
{
    internal const string KeyPrefix = "_hotpath:lock:";

    // SET NX PX and the fencing INCR in one script, so a token is only ever spent on an acquisition
    // and two acquisitions can never see the same token. A missing counter (first use, expired after
    // FencingCounterRetention, evicted) restarts from the server clock in microseconds: larger than any
    // token handed out before, so the tokens of a name keep increasing. The microseconds are formatted
    // as a string because Lua 5.1 would print a 16-digit number in exponent form.
    private const string AcquireScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          local n
          if redis.call('EXISTS', KEYS[2]) == 1 then
            n = redis.call('INCR', KEYS[2])
          else
            local t = redis.call('TIME')
            n = redis.call('INCRBY', KEYS[2], t[1] .. string.format('%06d', tonumber(t[2])))
          end
          redis.call('PEXPIRE', KEYS[2], ARGV[3])
          return {1, n}
        end
        return {0, redis.call('PTTL', KEYS[1])}
        """;

    private const string ExtendScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly long _fenceRetentionMs = (long)options.FencingCounterRetention.TotalMilliseconds;

    public static string LockKey(string name) => KeyPrefix + "{" + CacheKey.Escape(name) + "}";

    public static string FenceKey(string name) => LockKey(name) + ":fence";

    public async ValueTask<LockAttempt> TryAcquireAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var result = await database.ScriptEvaluateAsync(
            AcquireScript,
            [LockKey(name), FenceKey(name)],
            [owner, Milliseconds(lease), _fenceRetentionMs]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var parts = (RedisResult[])result!;
        if ((long)parts[0] == 1)
        {
            return LockAttempt.Taken((long)parts[1]);
        }

        var pttl = (long)parts[1];
        return LockAttempt.Busy(pttl >= 0 ? TimeSpan.FromMilliseconds(pttl) : null);
    }

    public async ValueTask<bool> ExtendAsync(string name, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var result = await database.ScriptEvaluateAsync(ExtendScript, [LockKey(name)], [owner, Milliseconds(lease)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async ValueTask<bool> ReleaseAsync(string name, string owner, CancellationToken cancellationToken)
    {
        var result = await database.ScriptEvaluateAsync(ReleaseScript, [LockKey(name)], [owner])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    // Whole milliseconds, never zero: PX 0 is an error.
    private static long Milliseconds(TimeSpan lease) => Math.Max(1, (long)Math.Ceiling(lease.TotalMilliseconds));
}
