namespace Hotpath.Bench.Host;

/// <summary>
/// Thrown at start-up when <c>Bench:Engine</c> is not one of the accepted values, or names an engine the
/// configured cache server cannot carry. The message names the setting and the accepted values.
/// </summary>
internal sealed class BenchConfigurationException(string message) : Exception(message);
