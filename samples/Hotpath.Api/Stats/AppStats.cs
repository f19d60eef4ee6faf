namespace Hotpath.Api.Stats;

/// <summary>
/// The counters behind <c>/api/_stats</c>: every SQL command the app sent, and how its cached reads
/// went. Process-wide; reset only by a restart.
/// </summary>
internal sealed class AppStats
{
    private long _dbCommands;
    private long _cacheHits;
    private long _cacheMisses;

    public long DbCommands => Interlocked.Read(ref _dbCommands);

    public void DbCommandSent() => Interlocked.Increment(ref _dbCommands);

    public void CacheHit() => Interlocked.Increment(ref _cacheHits);

    public void CacheMiss() => Interlocked.Increment(ref _cacheMisses);

    public StatsSnapshot Snapshot() =>
        new(Interlocked.Read(ref _dbCommands), Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _cacheMisses));
}
