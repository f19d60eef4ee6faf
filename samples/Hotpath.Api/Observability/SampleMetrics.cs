using System.Diagnostics.Metrics;
using Hotpath.Api.Stats;

namespace Hotpath.Api.Observability;

/// <summary>
/// The sample's own instruments on the <see cref="MeterName"/> meter: the counters behind
/// <c>/api/_stats</c>, observed from <see cref="AppStats"/> at collection time, so <c>/metrics</c> and
/// <c>/api/_stats</c> always agree and a database command costs nothing more than the increment it
/// already had.
/// </summary>
internal sealed class SampleMetrics
{
    public const string MeterName = "Hotpath.Api";

    public const string DbCommands = "hotpath.sample.db.commands";

    public const string CachedReads = "hotpath.sample.cache.reads";

    public SampleMetrics(IMeterFactory meterFactory, AppStats stats)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter(DbCommands, () => stats.DbCommands, "{command}",
            "SQL commands the app sent to its database (queries, writes and schema), counted by an EF Core interceptor.");
        meter.CreateObservableCounter<long>(CachedReads, () =>
        {
            var snapshot = stats.Snapshot();
            return (Measurement<long>[])
            [
                new Measurement<long>(snapshot.CacheHits, new KeyValuePair<string, object?>("result", "hit")),
                new Measurement<long>(snapshot.CacheMisses, new KeyValuePair<string, object?>("result", "miss")),
            ];
        }, "{read}", "Reads of the cached endpoints, by the X-Cache header they answered with (hit or miss).");
    }
}
