namespace Hotpath.Internals;

// The reset that follows an overflowed replay queue. An instance whose queue overflowed no longer
// knows which keys its failed invalidations named, so every cached value on the server is suspect.
// Instead of scanning and deleting the keyspace (O(keys), and a SCAN that a timeout restarts), one
// generation key moves: every entry records the generation it was written under (g=), and an entry
// from an older generation reads as a miss. The reset is one script call whatever the keyspace holds.
//
// The generation is the server's clock in microseconds when it moves (or the previous value + 1 if
// that is not larger), so it only grows, and a lost generation key (eviction, FLUSH, failover) is
// recreated from the clock: larger than every generation an entry recorded, it reads as "everything
// older is outdated", never as a restart that old entries match again.
//
// Each instance keeps the generation it last read. A reset is announced on the backplane with the new
// generation, which the others adopt at once; getting the subscription back after a gap makes the
// instance read the generation again before it trusts another server entry; without a backplane (memory tier off) it re-reads it in the
// background at most every GenerationRecheck, which bounds how long another instance can serve a
// value from before a reset. Entries written with CacheEntryOptions.KeepOnReset (application state
// such as sessions) ignore the generation and survive a reset.
internal sealed partial class HotpathCache
{
    internal const string GenerationKey = "_hotpath:generation";

    /// <summary>How often an instance re-reads the generation in the background while it reads entries.</summary>
    private static readonly TimeSpan GenerationRecheck = TimeSpan.FromSeconds(1);

    // KEYS[1] the generation key. Returns the current generation, creating it from the server's clock when missing.
    private const string CurrentGenerationScript = """
        local v = redis.call('GET', KEYS[1])
        if v then return tonumber(v) end
        local t = redis.call('TIME')
        local g = tonumber(t[1]) * 1000000 + tonumber(t[2])
        redis.call('SET', KEYS[1], g)
        return g
        """;

    // KEYS[1] the generation key. Moves the generation past the server's clock and its previous value; returns it.
    private const string ResetGenerationScript = """
        local t = redis.call('TIME')
        local g = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local v = tonumber(redis.call('GET', KEYS[1]) or '0')
        if g <= v then g = v + 1 end
        redis.call('SET', KEYS[1], g)
        return g
        """;

    private long _generation;

    // A TimeProvider timestamp of the last read of the generation; long.MinValue while it must be read
    // before the next entry is trusted.
    private long _generationCheckedAt = long.MinValue;

    // Moves whenever the known generation is forgotten, so a read that started before does not mark it known.
    private long _generationForgets;
    private int _generationRefreshing;

    /// <summary>The generation this instance last read or moved the server to.</summary>
    internal long Generation => Volatile.Read(ref _generation);

    long IInvalidationTarget.Generation => Generation;

    /// <summary>Whether the instance must read the generation before it trusts another server entry.</summary>
    internal bool GenerationUnknown => Volatile.Read(ref _generationCheckedAt) == long.MinValue;

    /// <summary>Makes the next decision about a server entry read the generation first (a reset was announced, or missed).</summary>
    private void ForgetGeneration()
    {
        Interlocked.Increment(ref _generationForgets);
        Volatile.Write(ref _generationCheckedAt, long.MinValue);
    }

    /// <summary>
    /// Whether an entry read from the server is current: written under the current generation (or kept
    /// across resets) and with none of its tags moved. Reads the generation first when it is not known.
    /// </summary>
    private ValueTask<bool> IsCurrentAsync(EntryInfo info, string? tagVersions, CancellationToken cancellationToken)
    {
        if (!info.KeepOnReset)
        {
            var checkedAt = Volatile.Read(ref _generationCheckedAt);
            if (checkedAt == long.MinValue)
            {
                return IsCurrentOnceGenerationIsKnownAsync(info, tagVersions, cancellationToken);
            }

            if (_time.GetElapsedTime(checkedAt) > GenerationRecheck)
            {
                RefreshGenerationInBackground();
            }

            if (info.Generation < Volatile.Read(ref _generation))
            {
                return new ValueTask<bool>(false);
            }
        }

        return tagVersions is null ? new ValueTask<bool>(true) : TagsAreCurrentAsync(tagVersions, cancellationToken);
    }

    private async ValueTask<bool> IsCurrentOnceGenerationIsKnownAsync(EntryInfo info, string? tagVersions, CancellationToken cancellationToken)
    {
        try
        {
            await ReadGenerationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // Without the generation the entry cannot be proven current: a miss, never a stale hit.
            _faults.Report("get generation", ex);
            return false;
        }

        if (info.Generation < Volatile.Read(ref _generation))
        {
            return false;
        }

        return tagVersions is null || await TagsAreCurrentAsync(tagVersions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes sure a write records the current generation: an entry written under an older one would read
    /// as outdated at once. Completes at once when the generation is known; otherwise one round trip.
    /// </summary>
    private Task EnsureGenerationAsync(CancellationToken cancellationToken) =>
        GenerationUnknown ? ReadGenerationAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Reads the server's generation (creating it when missing); one round trip.</summary>
    private async Task ReadGenerationAsync(CancellationToken cancellationToken)
    {
        var forgets = Volatile.Read(ref _generationForgets);
        var started = _time.GetTimestamp();
        var result = await WithCancellation(_db!.ScriptEvaluateAsync(CurrentGenerationScript, [GenerationKey]), cancellationToken).ConfigureAwait(false);
        RaiseGeneration((long)result);
        Volatile.Write(ref _generationCheckedAt, started);

        // A reset announced while this read was on the wire may not be in its answer: stay unknown then.
        if (Volatile.Read(ref _generationForgets) != forgets)
        {
            Volatile.Write(ref _generationCheckedAt, long.MinValue);
        }
    }

    private void RefreshGenerationInBackground()
    {
        if (Interlocked.CompareExchange(ref _generationRefreshing, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ReadGenerationAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
            {
                // The next check tries again; entries are still judged by the generation known.
            }
            finally
            {
                Volatile.Write(ref _generationRefreshing, 0);
            }
        });
    }

    private void RaiseGeneration(long generation)
    {
        var known = Volatile.Read(ref _generation);
        while (generation > known)
        {
            var seen = Interlocked.CompareExchange(ref _generation, generation, known);
            if (seen == known)
            {
                return;
            }

            known = seen;
        }
    }

    /// <summary>
    /// The reset: moves the server's generation so every entry written before reads as a miss on this
    /// instance at once, and on the others once they hear the announcement. One round trip.
    /// </summary>
    private async Task<long> ResetAsync(CancellationToken cancellationToken)
    {
        var result = await WithCancellation(_db!.ScriptEvaluateAsync(ResetGenerationScript, [GenerationKey]), cancellationToken).ConfigureAwait(false);
        RaiseGeneration((long)result);
        Volatile.Write(ref _generationCheckedAt, _time.GetTimestamp());
        return 1;
    }
}
