namespace Hotpath.Api.Tests;

/// <summary>
/// Tests that read process-wide counters through <c>/metrics</c>: OpenTelemetry listens to every meter
/// named <c>Hotpath</c> in the process, so no other app may serve requests while they count.
/// </summary>
[CollectionDefinition(nameof(ObservabilityCollection), DisableParallelization = true)]
public sealed class ObservabilityCollection;
