using System.Globalization;
using System.Text.RegularExpressions;

namespace Hotpath.Api.Tests;

/// <summary>One read of <c>/metrics</c> (Prometheus text format): samples by name and labels.</summary>
internal sealed partial class PrometheusScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"Not a Prometheus sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[label.Groups["name"].Value] = label.Groups["value"].Value;
            }

            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            _samples.Add((match.Groups["name"].Value, labels, value));
        }
    }

    public string Text { get; }

    public static async Task<PrometheusScrape> ReadAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new PrometheusScrape(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Whether any sample of the metric was exported.</summary>
    public bool Has(string name) => _samples.Any(s => s.Name == name);

    /// <summary>The sum of the metric's samples whose labels include every given pair; 0 when none was exported yet.</summary>
    public double Sum(string name, params (string Label, string Value)[] where) =>
        _samples
            .Where(s => s.Name == name && where.All(w => s.Labels.TryGetValue(w.Label, out var v) && v == w.Value))
            .Sum(s => s.Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
