namespace Hotpath.Internals;

/// <summary>
/// Every Lua script that reads or rewrites a stored entry (grammar: <see cref="EntryCodec"/>, revision H1).
/// The scripts parse and rewrite only the header line: they find its end at the first newline,
/// work on <c>string.sub</c> of the header, and concatenate the payload untouched, so payload bytes
/// that look like header text (<c> l=100</c>, newlines, NUL) survive every script. They are plain
/// strings: StackExchange.Redis loads each once per server and sends EVALSHA afterwards.
/// </summary>
internal static class EntryScripts
{
    /// <summary>
    /// KEYS[1] key; ARGV[1] lease head "H1 l=&lt;token&gt;", ARGV[2] lease ms, ARGV[3] now (unix ms), ARGV[4] mode
    /// (get, refresh, steal). Returns nil (claimed an absent key), {previous} (claimed, the placeholder
    /// carrying the previous header fields and payload), or the current bytes (not claimed).
    /// </summary>
    public const string Claim = """
        local v = redis.call('GET', KEYS[1])
        if v then
          local nl = string.find(v, '\n', 1, true)
          if nl and string.sub(v, 1, 2) == 'H1' then
            local header = string.sub(v, 1, nl - 1)
            local leased = string.find(header, ' l=', 1, true)
            if leased and ARGV[4] ~= 'steal' then return v end
            local e = string.match(header, ' e=(%d+)')
            local fresh = e == nil or tonumber(e) > tonumber(ARGV[3])
            if fresh and not leased and ARGV[4] == 'get' then return v end
            local fields = string.gsub(string.sub(header, 3), ' l=%w+', '')
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl < tonumber(ARGV[2]) then ttl = tonumber(ARGV[2]) end
            redis.call('SET', KEYS[1], ARGV[1] .. fields .. string.sub(v, nl), 'PX', ttl)
            return {v}
          end
        end
        redis.call('SET', KEYS[1], ARGV[1] .. '\n', 'PX', ARGV[2])
        return false
        """;

    /// <summary>KEYS[1] key; ARGV[1] lease head, ARGV[2] new bytes, ARGV[3] ttl ms. Stores only over our own placeholder; returns 1 or 0.</summary>
    public const string StoreIfLeased = """
        local v = redis.call('GET', KEYS[1])
        if v then
          local n = string.len(ARGV[1])
          local c = string.sub(v, n + 1, n + 1)
          if string.sub(v, 1, n) == ARGV[1] and (c == ' ' or c == '\n') then
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return 1
          end
        end
        return 0
        """;

    /// <summary>
    /// KEYS[1] key; ARGV[1] lease head. Gives our placeholder back: restores the header fields and payload it
    /// carried (only the lease head at the header's start is cut), or deletes an empty one; returns 1 or 0.
    /// </summary>
    public const string Release = """
        local v = redis.call('GET', KEYS[1])
        if v then
          local n = string.len(ARGV[1])
          local c = string.sub(v, n + 1, n + 1)
          if string.sub(v, 1, n) == ARGV[1] and (c == ' ' or c == '\n') then
            if string.len(v) == n + 1 then return redis.call('DEL', KEYS[1]) end
            local ttl = redis.call('PTTL', KEYS[1])
            if ttl < 1 then ttl = 1 end
            redis.call('SET', KEYS[1], 'H1' .. string.sub(v, n + 1), 'PX', ttl)
            return 1
          end
        end
        return 0
        """;

    // KEYS[1]: the entry; ARGV[1]: now (Unix ms); ARGV[2]: the new logical expiry (Unix ms); ARGV[3]: the
    // new physical lifetime (ms). Moves a current entry's e= field and its TTL together, touching only
    // the header; a missing, leased, expired or unreadable entry is left alone. Returns 1 when moved.
    public const string Refresh = """
        local v = redis.call('GET', KEYS[1])
        if not v then return 0 end
        local nl = string.find(v, '\n', 1, true)
        if not nl then return 0 end
        local head = string.sub(v, 1, nl - 1)
        if string.sub(head, 1, 3) ~= 'H1 ' or string.find(head, ' l=', 1, true) then return 0 end
        local e = string.match(head, ' e=(%d+)')
        if not e or tonumber(e) <= tonumber(ARGV[1]) then return 0 end
        local moved = string.gsub(head, ' e=%d+', ' e=' .. ARGV[2], 1)
        redis.call('SET', KEYS[1], moved .. string.sub(v, nl), 'PX', ARGV[3])
        return 1
        """;
}
