using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>A column over <see cref="CaseLog"/>: factory runs per stampede, or the sanity check of each case.</summary>
public sealed class ObservationColumn : IColumn
{
    public static readonly ObservationColumn FactoryRuns = new("FactoryRuns", "Factory runs", "How many times the factory ran per 1000-caller stampede (1 = fully coalesced)", onlyWhenRecorded: true);

    public static readonly ObservationColumn Check = new("Check", "Check", "Sanity of the case: ok, or what happened that should not have (and how often)", onlyWhenRecorded: false);

    private readonly bool _onlyWhenRecorded;

    private ObservationColumn(string id, string name, string legend, bool onlyWhenRecorded)
    {
        Id = id;
        ColumnName = name;
        Legend = legend;
        _onlyWhenRecorded = onlyWhenRecorded;
    }

    public string Id { get; }

    public string ColumnName { get; }

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => Id == "Check" ? 1 : 0;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend { get; }

    public bool IsAvailable(Summary summary) =>
        !_onlyWhenRecorded || summary.BenchmarksCases.Any(c => Value(c) is not null);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => Value(benchmarkCase) ?? "-";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public override string ToString() => ColumnName;

    private string? Value(BenchmarkCase benchmarkCase)
    {
        var type = benchmarkCase.Descriptor.Type;
        var method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        return Id == "Check" ? CaseLog.CheckText(type, method) : CaseLog.FactoryRunsText(type, method);
    }
}
