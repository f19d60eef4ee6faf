using System.Collections.Concurrent;
using System.Globalization;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// What a benchmark observed besides time and bytes, per benchmark method: factory runs per stampede,
/// and anything that should not have happened (a hit in a miss case, a miss in a hit case, a factory
/// run on a hot key, a Hotpath fault). The suites run in the host process, so the columns read this
/// directly; it is also written to <c>results/observations.tsv</c> for the docs generator.
/// </summary>
public static class CaseLog
{
    private static readonly ConcurrentDictionary<(Type Type, string Method), Entry> s_entries = new();

    public static void FactoryRuns(Type type, string method, long runs)
    {
        var entry = s_entries.GetOrAdd((type, method), static _ => new Entry());
        lock (entry)
        {
            entry.Runs.Add(runs);
        }
    }

    /// <summary>Stands for every method of a class whose name starts with "Hotpath".</summary>
    public const string AnyHotpathMethod = "Hotpath*";

    public static void Unexpected(Type type, string method, string what, int count = 1)
    {
        var entry = s_entries.GetOrAdd((type, method), static _ => new Entry());
        lock (entry)
        {
            entry.Unexpected[what] = entry.Unexpected.GetValueOrDefault(what) + count;
        }
    }

    /// <summary>"1" when every stampede ran the factory once, else "min–max (mean m, n stampedes)"; null when none ran.</summary>
    public static string? FactoryRunsText(Type type, string method)
    {
        if (!s_entries.TryGetValue((type, method), out var entry))
        {
            return null;
        }

        lock (entry)
        {
            if (entry.Runs.Count == 0)
            {
                return null;
            }

            var min = entry.Runs.Min();
            var max = entry.Runs.Max();
            return min == max
                ? min.ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{min}–{max} (mean {entry.Runs.Average():0.#}, {entry.Runs.Count} stampedes)");
        }
    }

    /// <summary>"ok", or what went unexpectedly and how often.</summary>
    public static string CheckText(Type type, string method)
    {
        var notes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        Collect((type, method), notes);
        if (method.StartsWith("Hotpath", StringComparison.Ordinal))
        {
            Collect((type, AnyHotpathMethod), notes);
        }

        return notes.Count == 0 ? "ok" : string.Join("; ", notes.Select(static p => $"{p.Key} ×{p.Value}"));
    }

    private static void Collect((Type, string) id, SortedDictionary<string, int> notes)
    {
        if (!s_entries.TryGetValue(id, out var entry))
        {
            return;
        }

        lock (entry)
        {
            foreach (var (what, count) in entry.Unexpected)
            {
                notes[what] = notes.GetValueOrDefault(what) + count;
            }
        }
    }

    /// <summary>Writes every observation as tab-separated lines: type, method, factory runs, check.</summary>
    public static void WriteTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path);
        writer.WriteLine("type\tmethod\tfactory_runs\tcheck");
        foreach (var ((type, method), _) in s_entries.OrderBy(static e => e.Key.Type.FullName, StringComparer.Ordinal).ThenBy(static e => e.Key.Method, StringComparer.Ordinal))
        {
            writer.WriteLine($"{BenchNames.TypeName(type)}\t{method}\t{FactoryRunsText(type, method) ?? ""}\t{CheckText(type, method)}");
        }
    }

    private sealed class Entry
    {
        public List<long> Runs { get; } = [];

        public Dictionary<string, int> Unexpected { get; } = new(StringComparer.Ordinal);
    }
}
