namespace Hotpath.Api.Stats;

/// <summary>The body of <c>GET /api/_stats</c>.</summary>
internal sealed record StatsSnapshot(long DbCommands, long CacheHits, long CacheMisses);
