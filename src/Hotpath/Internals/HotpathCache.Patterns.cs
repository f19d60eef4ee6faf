using System.Text;
using StackExchange.Redis;

namespace Hotpath.Internals;

internal sealed partial class HotpathCache
{
    public async ValueTask<long> DeleteByPatternAsync(string pattern, CancellationToken cancellationToken = default)
    {
        ValidateKey(pattern, nameof(pattern));
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return 0;
        }

        // The prefix is configuration, not a glob: escape it so a '*' in it matches only itself.
        var fullPattern = EscapeGlob(_connection.KeyPrefix) + pattern;
        long deleted = 0;

        // The memory tier is cleared whole (before and after): pattern deletions are rare, and
        // matching globs against every memory entry would buy little.
        _memory?.Clear();
        try
        {
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
                        deleted += await UnlinkAsync(batch, cancellationToken).ConfigureAwait(false);
                        batch.Clear();
                    }
                }

                if (batch.Count > 0)
                {
                    deleted += await UnlinkAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }

            _faults.Succeeded();
            _memory?.Clear();
            await AnnounceAsync(InvalidationKind.Clear, string.Empty).ConfigureAwait(false);
            return deleted;
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("delete by pattern", ex);
            if (_options.ThrowOnWriteErrors)
            {
                throw;
            }

            return deleted;
        }
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
