using System.Threading.RateLimiting;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>
/// A partitioned limiter over requests for one Hotpath policy, built for the global limiter's hot path.
/// Holding the request, it needs none of what a limiter behind <c>RateLimitPartition</c> must look up on
/// every call: it attaches each decision to the request itself (no <see cref="IHttpContextAccessor"/>),
/// checks the endpoint's metadata for synchronous admission directly, and keeps its partitions in a
/// lock-free bounded map keyed by the partition key alone (no per-request delegate or composite key).
/// </summary>
internal sealed class HotpathRequestRateLimiter(RateLimitAlgorithm algorithm, Func<HttpContext, string?> partitionBy, Func<HttpContext, bool>? appliesTo)
    : PartitionedRateLimiter<HttpContext>
{
    private Binding? _binding;
    private int _disposed;

    /// <summary>The partitions held in process, and how many were dropped (0 before the first request).</summary>
    internal (int Held, long Dropped, int Capacity) Partitions =>
        Volatile.Read(ref _binding)?.Partitions is { } map ? (map.Count, map.Evictions, map.Capacity) : (0, 0, 0);

    public override RateLimiterStatistics? GetStatistics(HttpContext resource) =>
        Applies(resource) ? Limiter(Bind(resource), resource).GetStatistics() : null;

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        if (!Applies(resource))
        {
            return NoDecisionLease.NotLimited;
        }

        var binding = Bind(resource);
        if (!SynchronousAdmission.Allowed(resource))
        {
            // The middleware goes on to AcquireAsync, which decides once for the global limiter and the endpoint's policy.
            return NoDecisionLease.Undecided;
        }

        RateLimitLease lease;
        try
        {
            lease = Limiter(binding, resource).AttemptAcquire(permitCount);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) == 0)
        {
            // The partition was dropped from the bounded map between the lookup and the call: look it up again.
            lease = Limiter(binding, resource).AttemptAcquire(permitCount);
        }

        return Attached(binding, resource, lease);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken)
    {
        if (!Applies(resource))
        {
            return new ValueTask<RateLimitLease>(NoDecisionLease.NotLimited);
        }

        var binding = Bind(resource);
        ValueTask<RateLimitLease> pending;
        try
        {
            pending = Limiter(binding, resource).AcquireAsync(permitCount, cancellationToken);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) == 0)
        {
            pending = Limiter(binding, resource).AcquireAsync(permitCount, cancellationToken);
        }

        return pending.IsCompletedSuccessfully
            ? new ValueTask<RateLimitLease>(Attached(binding, resource, pending.Result))
            : AttachedAsync(binding, resource, pending);
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && disposing)
        {
            Volatile.Read(ref _binding)?.Partitions.Clear();
        }

        base.Dispose(disposing);
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }

    private bool Applies(HttpContext resource) => appliesTo is null || appliesTo(resource);

    private RedisRateLimiter Limiter(Binding binding, HttpContext resource)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // The map holds at most MaxPartitions keys of bounded length, whatever a partitioner reads from the request.
        var key = HotpathRateLimiterFactory.Bounded(partitionBy(resource) ?? HotpathRateLimiterPolicy.NoPartition);
        return binding.Partitions.Get(key, static (partition, binding) => binding.Factory.CreateRequestAware(binding.Algorithm, partition), binding);
    }

    /// <summary>The application's factory and header settings, taken from the first request's services: one limiter serves one application.</summary>
    private Binding Bind(HttpContext resource)
    {
        var binding = Volatile.Read(ref _binding);
        if (binding is not null)
        {
            return binding;
        }

        var factory = RateLimiterServices.Factory(resource);
        var headers = resource.RequestServices.GetService<RateLimitHeaders>()?.Enabled ?? false;
        binding = new Binding(factory, algorithm, HotpathRateLimiterFactory.RequestAwarePartitions(algorithm), headers);
        return Interlocked.CompareExchange(ref _binding, binding, null) ?? binding;
    }

    private static RateLimitLease Attached(Binding binding, HttpContext resource, RateLimitLease lease)
    {
        if (binding.Headers && lease is HotpathRateLimitLease hotpath)
        {
            RateLimitHeaders.Attach(resource, hotpath.Decision);
        }

        return lease;
    }

    private static async ValueTask<RateLimitLease> AttachedAsync(Binding binding, HttpContext resource, ValueTask<RateLimitLease> pending) =>
        Attached(binding, resource, await pending.ConfigureAwait(false));

    private sealed record Binding(HotpathRateLimiterFactory Factory, RateLimitAlgorithm Algorithm, PartitionMap<RedisRateLimiter> Partitions, bool Headers);
}
