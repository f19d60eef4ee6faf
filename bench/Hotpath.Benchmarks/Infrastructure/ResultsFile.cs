namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>The tables the measurements outside BenchmarkDotNet write: under <c>results/</c>, and to the console.</summary>
public static class ResultsFile
{
    /// <summary>Writes <paramref name="lines"/> to <c>results/<paramref name="name"/></c> under the artifacts folder and prints them.</summary>
    public static async Task WriteAsync(string artifactsPath, string name, IReadOnlyList<string> lines)
    {
        var results = Path.Combine(artifactsPath, "results");
        Directory.CreateDirectory(results);
        await File.WriteAllLinesAsync(Path.Combine(results, name), lines).ConfigureAwait(false);
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }
    }
}
