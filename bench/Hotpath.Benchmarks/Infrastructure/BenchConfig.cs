using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;
using Perfolizer.Metrology;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// The run's configuration: the default columns plus median, factory runs and the sanity check;
/// GitHub markdown for people and a CSV in plain nanoseconds and bytes for <c>bench/update_docs.py</c>.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create(string artifactsPath)
    {
        var csvStyle = new SummaryStyle(
            CultureInfo.InvariantCulture,
            printUnitsInHeader: true,
            SizeUnit.B,
            TimeUnit.Nanosecond,
            printUnitsInContent: false,
            printZeroValuesInContent: true,
            maxParameterColumnWidth: 40,
            ratioStyle: RatioStyle.Value,
            textColumnJustification: SummaryTable.SummaryTableColumn.TextJustification.Left,
            numericColumnJustification: SummaryTable.SummaryTableColumn.TextJustification.Right);

        return ManualConfig.CreateEmpty()
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
            .AddColumn(ObservationColumn.FactoryRuns, ObservationColumn.Check)
            .AddLogger(ConsoleLogger.Default)
            // A suite without a job attribute runs piloted like the rest, never BenchmarkDotNet's
            // default job; and every job runs in this process (no separate build and process per
            // benchmark, which would not fit the run in 15 minutes on 2 cores).
            .AddJob(BenchJobs.Piloted(warmups: 8, iterations: 10).AsDefault())
            .AddJob(BenchJobs.InProcess.AsMutator())
            .AddExporter(MarkdownExporter.GitHub, new CsvExporter(CsvSeparator.Comma, csvStyle))
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .WithArtifactsPath(artifactsPath)
            .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared))
            .WithOption(ConfigOptions.DisableLogFile, false);
    }
}
