namespace Hotpath;

/// <summary>Names of Hotpath's telemetry sources, for <c>AddMeter</c> and <c>AddSource</c>.</summary>
public static class HotpathMeter
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> and the <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string Name = "Hotpath";
}
