using System.Text;
using StackExchange.Redis;

namespace Hotpath.Internals;

internal sealed partial class HotpathCache
{
    public ValueTask<long> DeleteByPatternAsync(string pattern, CancellationToken cancellationToken = default)
    {
        ValidateKey(pattern, nameof(pattern));
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return new ValueTask<long>(0L);
        }

        // The memory tier is cleared whole (the protocol does it for a pattern): pattern deletions are
        // rare, and matching globs against every memory entry would buy little. Factory runs likewise.
        return _protocol.RunAsync(
            new Invalidation(InvalidationKind.Pattern, pattern),
            "delete by pattern",
            (Cache: this, Pattern: pattern),
            static (s, ct) => s.Cache.ForEachKeyBatchAsync(s.Pattern, s.Cache.UnlinkAsync, ct),
            0L,
            cancellationToken);
    }

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
            if (server.IsReplica)
            {
                continue;
            }

            // A primary that cannot be reached keeps its keys: the deletion is incomplete, so it must
            // fail (and stay pending) rather than report success for keys it never saw.
            if (!server.IsConnected)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, $"The cache server {server.EndPoint} is not connected; the pattern deletion cannot cover it.");
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

    void IInvalidationTarget.DetachFlights(InvalidationKind kind, string payload)
    {
        switch (kind)
        {
            case InvalidationKind.Key:
                DetachFlight(payload);
                break;
            case InvalidationKind.Tag:
                DetachTaggedFlights(payload);
                break;
            default:
                DetachAllFlights();
                break;
        }
    }

    Task IInvalidationTarget.SendAsync(Invalidation invalidation, CancellationToken cancellationToken) => invalidation.Kind switch
    {
        InvalidationKind.Key => DeleteKeysAsync([invalidation.First], cancellationToken),
        InvalidationKind.Tag => BumpTagAsync(invalidation.First, cancellationToken),
        InvalidationKind.Pattern => ForEachKeyBatchAsync(invalidation.First, UnlinkAsync, cancellationToken),
        _ => ResetAsync(cancellationToken),
    };

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
