using Hotpath.Internals;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Hotpath.AspNetCore.HealthChecks;

/// <summary>
/// Reports whether the cache server answers a <c>PING</c> within <see cref="HotpathOptions.OperationTimeout"/>.
/// Registered by <c>AddHotpath</c> under the name <see cref="Name"/> with the tag <see cref="ReadyTag"/>.
/// A disabled cache (<c>REDIS_URL=none</c>) is healthy: nothing is expected of it. A failure names the
/// exception's type only, so a probe never logs a stack trace.
/// </summary>
internal sealed class HotpathHealthCheck(HotpathConnection connection, IOptions<HotpathOptions> options) : IHealthCheck
{
    public const string Name = "hotpath";
    public const string ReadyTag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (connection.IsDisabled)
        {
            return HealthCheckResult.Healthy("The cache is disabled.");
        }

        try
        {
            var latency = await connection.RawDatabase!.PingAsync()
                .WaitAsync(options.Value.OperationTimeout, cancellationToken)
                .ConfigureAwait(false);
            return HealthCheckResult.Healthy($"PING answered in {latency.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            // The type says enough; the exception itself would put a stack trace in the logs on every
            // probe, while the cache already logs the fault once per burst.
            return new HealthCheckResult(context.Registration.FailureStatus, $"The cache server did not answer PING ({ex.GetType().Name}).");
        }
    }
}
