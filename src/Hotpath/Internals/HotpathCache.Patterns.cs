using System.Text;
using StackExchange.Redis;

namespace Hotpath.Internals;

internal sealed partial class HotpathCache
{
    // KEYS: a batch of full keys; ARGV[1]: the tag-key prefix. Unlinks only what Hotpath wrote there:
    // entries (values starting with the H1 header) and tag versions.
    private const string WipeScript = """
        local n = 0
        for i = 1, #KEYS do
          local k = KEYS[i]
          local t = redis.call('TYPE', k)
          if type(t) == 'table' then t = t['ok'] end
          if t == 'string' then
            local head = redis.call('GETRANGE', k, 0, 2)
            if head == 'H1 ' or head == 'H1\n' or string.sub(k, 1, string.len(ARGV[1])) == ARGV[1] then
              redis.call('UNLINK', k)
              n = n + 1
            end
          end
        end
        return n
        """;

    public async ValueTask<long> DeleteByPatternAsync(string pattern, CancellationToken cancellationToken = default)
    {
        ValidateKey(pattern, nameof(pattern));
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return 0;
        }

        // The memory tier is cleared whole (before and after): pattern deletions are rare, and
        // matching globs against every memory entry would buy little. Factory runs likewise.
        DetachAllFlights();
        _memory?.Clear();
        if (!_faults.Allow())
        {
            Skipped(InvalidationKind.Pattern, pattern);
            return 0;
        }

        try
        {
            var deleted = await ForEachKeyBatchAsync(pattern, UnlinkAsync, cancellationToken).ConfigureAwait(false);
            _faults.Succeeded();
            _memory?.Clear();
            await AnnounceAsync(InvalidationKind.Pattern, pattern).ConfigureAwait(false);
            return deleted;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _replay?.Enqueue(InvalidationKind.Pattern, pattern);
            _faults.Report("delete by pattern", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return 0;
        }
    }

    /// <summary>Removes every Hotpath entry and tag version under the key prefix, leaving other data alone.</summary>
    private Task<long> WipeAsync(CancellationToken cancellationToken) =>
        ForEachKeyBatchAsync("*", async (keys, ct) =>
        {
            long removed = 0;
            foreach (var group in GroupBySlot(keys, string.Empty))
            {
                removed += (long)await WithCancellation(_connection.RawDatabase!.ScriptEvaluateAsync(WipeScript, group, [_connection.KeyPrefix + TagKeyPrefix]), ct).ConfigureAwait(false);
            }

            return removed;
        }, cancellationToken);

    /// <summary>
    /// Scans every primary for keys matching <paramref name="pattern"/> under the prefix (SCAN, never
    /// KEYS) and hands them to <paramref name="action"/> in batches of <see cref="HotpathOptions.PatternBatchSize"/>.
    /// </summary>
    private async Task<long> ForEachKeyBatchAsync(string pattern, Func<List<string>, CancellationToken, Task<long>> action, CancellationToken cancellationToken)
    {
        // The prefix is configuration, not a glob: escape it so a '*' in it matches only itself.
        var fullPattern = EscapeGlob(_connection.KeyPrefix) + pattern;
        long total = 0;
        foreach (var server in _connection.Multiplexer!.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            var batch = new List<string>(_options.PatternBatchSize);
            await foreach (var key in server.KeysAsync(_connection.RawDatabase!.Database, fullPattern, _options.PatternBatchSize).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                batch.Add(key.ToString());
                if (batch.Count == _options.PatternBatchSize)
                {
                    total += await action(batch, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                total += await action(batch, cancellationToken).ConfigureAwait(false);
            }
        }

        return total;
    }

    private async Task<long> UnlinkAsync(List<string> fullKeys, CancellationToken cancellationToken)
    {
        long deleted = 0;
        foreach (var group in GroupBySlot(fullKeys, string.Empty))
        {
            var result = await WithCancellation(_connection.RawDatabase!.ExecuteAsync("UNLINK", group.Cast<object>().ToArray()), cancellationToken).ConfigureAwait(false);
            deleted += (long)result;
        }

        return deleted;
    }

    /// <summary>Replays one invalidation queued while the server was unreachable; throws if it still is.</summary>
    private async Task ReplayAsync(InvalidationKind kind, string payload)
    {
        switch (kind)
        {
            case InvalidationKind.Key:
                await _db!.KeyDeleteAsync(payload).ConfigureAwait(false);
                _memory?.Evict(payload);
                break;
            case InvalidationKind.Tag:
                await _db!.StringIncrementAsync(TagKeyPrefix + payload).ConfigureAwait(false);
                _memory?.InvalidateTag(payload);
                break;
            case InvalidationKind.Pattern:
                await ForEachKeyBatchAsync(payload, UnlinkAsync, CancellationToken.None).ConfigureAwait(false);
                _memory?.Clear();
                break;
            default:
                await WipeAsync(CancellationToken.None).ConfigureAwait(false);
                _memory?.Clear();
                break;
        }

        _faults.Succeeded();
        await AnnounceAsync(kind, payload).ConfigureAwait(false);
    }

    internal static string EscapeGlob(string text)
    {
        if (text.AsSpan().IndexOfAny(CacheKey.GlobSpecials) < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 4);
        foreach (var c in text)
        {
            if (CacheKey.GlobSpecials.Contains(c))
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
