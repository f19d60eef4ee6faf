namespace Hotpath.RateLimiting;

/// <summary>
/// The limiters' Lua scripts. Each decision is one script run: atomic on the server, so concurrent
/// decisions from any number of connections never overshoot a limit.
/// </summary>
/// <remarks>
/// <para>
/// Time is the server's (<c>TIME</c>, in milliseconds), never the caller's, so instances with skewed
/// clocks share one timeline. Every key a script touches is its single <c>KEYS[1]</c>, which carries the
/// partition's hash tag, so the scripts run on Redis Cluster and on servers that refuse undeclared keys.
/// </para>
/// <para>
/// The arithmetic stays on integers below 2^53 (millisecond timestamps have 13 digits), and values
/// written or returned are whole numbers, so the scripts behave the same on Lua 5.1 (Redis, Valkey)
/// and Lua 5.4 (Garnet), whose number-to-string conversions differ for large or fractional values.
/// </para>
/// <para>Every decision script returns <c>{ admitted (0/1), remaining, reset (ms), retry after (ms) }</c>.</para>
/// <para>
/// The lease scripts of local admission take up to <c>want</c> permits at once, as many as the window or
/// bucket still holds, and return <c>{ granted, remaining, reset (ms), retry after (ms) }</c>: granted 0
/// is a refusal, with the retry-after of one permit.
/// </para>
/// </remarks>
internal static class RateLimitScripts
{
    /// <summary>
    /// KEYS[1]: hash { s = window start (ms), n = permits taken in the window }.
    /// ARGV: limit, window (ms), permits.
    /// </summary>
    public const string FixedWindow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local permits = tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 's', 'n')
        local start = tonumber(state[1])
        local count = tonumber(state[2])
        if start == nil or count == nil or now >= start + window then
          start = now
          count = 0
        end
        local admitted = 0
        if permits == 0 then
          if count < limit then admitted = 1 end
        elseif count + permits <= limit then
          count = count + permits
          admitted = 1
          redis.call('HSET', KEYS[1], 's', start, 'n', count)
          redis.call('PEXPIRE', KEYS[1], start + window - now)
        end
        local reset = start + window - now
        local retry = 0
        if admitted == 0 then retry = reset end
        return { admitted, limit - count, reset, retry }
        """;

    /// <summary>
    /// KEYS[1]: hash { s = current window start (ms), c = permits in the current window, p = permits in the previous one }.
    /// ARGV: limit, window (ms), permits. The previous window counts in proportion to how much of it the
    /// sliding window still covers.
    /// </summary>
    public const string SlidingWindow = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local permits = tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
        local start = tonumber(state[1])
        local cur = tonumber(state[2]) or 0
        local prev = tonumber(state[3]) or 0
        if start == nil then
          start = now
          cur = 0
          prev = 0
        elseif now >= start + window then
          local elapsed = math.floor((now - start) / window)
          if elapsed == 1 then prev = cur else prev = 0 end
          cur = 0
          start = start + elapsed * window
        end
        local used = prev * ((window - (now - start)) / window) + cur
        local admitted = 0
        if permits == 0 then
          if used + 1 <= limit then admitted = 1 end
        elseif used + permits <= limit then
          cur = cur + permits
          used = used + permits
          admitted = 1
          redis.call('HSET', KEYS[1], 's', start, 'c', cur, 'p', prev)
          redis.call('PEXPIRE', KEYS[1], start + 2 * window - now)
        end
        local remaining = math.floor(limit - used)
        if remaining < 0 then remaining = 0 end
        local reset = start + window - now
        local retry = 0
        if admitted == 0 then
          local need = permits
          if need == 0 then need = 1 end
          if cur + need <= limit and prev > 0 then
            retry = math.ceil(start + window * (1 - (limit - cur - need) / prev) - now)
          else
            retry = math.ceil(start + window + window * (1 - (limit - need) / cur) - now)
          end
          if retry < 1 then retry = 1 end
        end
        return { admitted, remaining, reset, retry }
        """;

    /// <summary>
    /// KEYS[1]: hash { t = tokens left, r = time of the last replenishment (ms) }.
    /// ARGV: token limit, tokens per period, period (ms), permits. An absent hash is a full bucket, so the
    /// hash expires when the bucket would be full again.
    /// </summary>
    public const string TokenBucket = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local period = tonumber(ARGV[3])
        local permits = tonumber(ARGV[4])
        local state = redis.call('HMGET', KEYS[1], 't', 'r')
        local tokens = tonumber(state[1])
        local last = tonumber(state[2])
        if tokens == nil or last == nil then
          tokens = capacity
          last = now
        elseif now >= last + period then
          local periods = math.floor((now - last) / period)
          tokens = math.min(capacity, tokens + periods * rate)
          last = last + periods * period
        end
        local admitted = 0
        if permits == 0 then
          if tokens > 0 then admitted = 1 end
        elseif tokens >= permits then
          tokens = tokens - permits
          admitted = 1
        end
        local reset = 0
        if tokens < capacity then
          reset = last + math.ceil((capacity - tokens) / rate) * period - now
        end
        if admitted == 1 and permits > 0 then
          redis.call('HSET', KEYS[1], 't', tokens, 'r', last)
          redis.call('PEXPIRE', KEYS[1], reset)
        end
        local retry = 0
        if admitted == 0 then
          local need = permits
          if need == 0 then need = 1 end
          retry = last + math.ceil((need - tokens) / rate) * period - now
          if retry < 1 then retry = 1 end
        end
        return { admitted, tokens, reset, retry }
        """;

    /// <summary>
    /// The fixed window's lease: takes <c>min(want, permits left)</c> from the window in one run.
    /// KEYS[1]: the hash of <see cref="FixedWindow"/>. ARGV: limit, window (ms), want.
    /// </summary>
    public const string FixedWindowLease = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local want = tonumber(ARGV[3])
        local state = redis.call('HMGET', KEYS[1], 's', 'n')
        local start = tonumber(state[1])
        local count = tonumber(state[2])
        if start == nil or count == nil or now >= start + window then
          start = now
          count = 0
        end
        local granted = limit - count
        if granted > want then granted = want end
        if granted < 0 then granted = 0 end
        if granted > 0 then
          count = count + granted
          redis.call('HSET', KEYS[1], 's', start, 'n', count)
          redis.call('PEXPIRE', KEYS[1], start + window - now)
        end
        local reset = start + window - now
        local retry = 0
        if granted == 0 then retry = reset end
        local remaining = limit - count
        if remaining < 0 then remaining = 0 end
        return { granted, remaining, reset, retry }
        """;

    /// <summary>
    /// The token bucket's lease: takes <c>min(want, tokens left)</c> from the bucket in one run.
    /// KEYS[1]: the hash of <see cref="TokenBucket"/>. ARGV: token limit, tokens per period, period (ms), want.
    /// </summary>
    public const string TokenBucketLease = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local period = tonumber(ARGV[3])
        local want = tonumber(ARGV[4])
        local state = redis.call('HMGET', KEYS[1], 't', 'r')
        local tokens = tonumber(state[1])
        local last = tonumber(state[2])
        if tokens == nil or last == nil then
          tokens = capacity
          last = now
        elseif now >= last + period then
          local periods = math.floor((now - last) / period)
          tokens = math.min(capacity, tokens + periods * rate)
          last = last + periods * period
        end
        local granted = tokens
        if granted > want then granted = want end
        if granted < 0 then granted = 0 end
        tokens = tokens - granted
        local reset = 0
        if tokens < capacity then
          reset = last + math.ceil((capacity - tokens) / rate) * period - now
        end
        if granted > 0 then
          redis.call('HSET', KEYS[1], 't', tokens, 'r', last)
          redis.call('PEXPIRE', KEYS[1], reset)
        end
        local retry = 0
        if granted == 0 then
          retry = last + math.ceil((1 - tokens) / rate) * period - now
          if retry < 1 then retry = 1 end
        end
        return { granted, tokens, reset, retry }
        """;
}
