using System.Diagnostics;
using System.Threading.RateLimiting;
using Hotpath.Internals;
using StackExchange.Redis;

namespace Hotpath.RateLimiting;

/// <summary>
/// One partition of a policy, held on the server: each <c>AcquireAsync</c> is one script run. When the
/// server cannot be reached it fails open (an in-process limiter of the same shape decides) or closed;
/// with the cache disabled the in-process limiter always decides.
/// </summary>
/// <remarks>
/// A limiter made for a caller that holds the request (<c>requestAware</c>) leaves two things to that
/// caller: whether a synchronous <c>AttemptAcquire</c> may admit from the allowance, and attaching each
/// decision to the request. Other limiters ask the factory's hooks, which find the request themselves.
/// </remarks>
internal sealed partial class RedisRateLimiter : RateLimiter, IPartitionEntry
{
    private readonly HotpathRateLimiterFactory _factory;
    private readonly RateLimitAlgorithm _algorithm;
    private readonly RedisKey[] _keys;
    private readonly bool _requestAware;
    private RateLimiter? _local;
    private long _lastUsed = Stopwatch.GetTimestamp();
    private long _available;
    private long _successful;
    private long _failed;
    private int _disposed;

    public RedisRateLimiter(HotpathRateLimiterFactory factory, RateLimitAlgorithm algorithm, string key, bool requestAware = false)
    {
        _factory = factory;
        _algorithm = algorithm;
        _keys = [key];
        _requestAware = requestAware;
        _available = algorithm.Policy.Limit;
    }

    internal string Key => _keys[0].ToString();

    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastUsed));

    long IPartitionEntry.LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Dropped from a bounded map: disposing releases the in-process fallback's timer.</summary>
    void IPartitionEntry.Evicted() => Dispose();

    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = Volatile.Read(ref _available),
        CurrentQueuedCount = 0,
        TotalSuccessfulLeases = Volatile.Read(ref _successful),
        TotalFailedLeases = Volatile.Read(ref _failed),
    };

    /// <summary>
    /// Decides without I/O or it does not decide: in process with the cache disabled; from the leased
    /// allowance under local admission while it covers the request; otherwise an undecided lease (not
    /// acquired, no metadata), and the caller goes on to <c>AcquireAsync</c>.
    /// </summary>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Validate(permitCount);
        var db = _factory.Database;
        if (db is null)
        {
            return DecideLocally(permitCount, unavailable: false);
        }

        if (LocalAdmissionFor(permitCount) is { } admission
            && (_requestAware || _factory.AdmitsSynchronously?.Invoke() != false)
            && TakeFromAllowance(db, admission, Allowance(admission), permitCount, out var now) is { } taken)
        {
            return Complete(taken, taken.Remaining, now);
        }

        return NoDecisionLease.Undecided;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Validate(permitCount);
        cancellationToken.ThrowIfCancellationRequested();
        var db = _factory.Database;
        if (db is null)
        {
            return new ValueTask<RateLimitLease>(DecideLocally(permitCount, unavailable: false));
        }

        return LocalAdmissionFor(permitCount) is { } admission
            ? AdmitFromAllowance(db, admission, permitCount, cancellationToken)
            : DecideOnServerAsync(db, permitCount, allowance: null);
    }

    /// <summary>The policy's local admission when it can cover a request of <paramref name="permitCount"/> permits (1 up to a batch), else null: the server decides.</summary>
    private LocalAdmission? LocalAdmissionFor(int permitCount) =>
        _algorithm.LocalAdmission is { } admission && permitCount > 0 && permitCount <= admission.BatchSize ? admission : null;

    /// <summary>One script run decides; under local admission (<paramref name="allowance"/> set) the answer also says whether the partition is still near its limit.</summary>
    private async ValueTask<RateLimitLease> DecideOnServerAsync(IDatabase db, int permitCount, LocalAllowance? allowance)
    {
        var sent = Stopwatch.GetTimestamp();
        _factory.CountServerCall();
        RedisResult result;
        try
        {
            // The round trip is bounded by the connection's operation timeout; the caller's token is
            // checked before it, not during it, so a decision never costs a cancellation registration.
            result = await db.ScriptEvaluateAsync(_algorithm.Script, _keys, _algorithm.ArgumentsFor(permitCount)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Every failure of the server call is a store fault for the policy, a cancellation included
            // (a TaskCanceledException from the client's timeout or teardown path): the caller's token is
            // not passed into the call, so no cancellation that surfaces here is the caller's own.
            _factory.Faulted(_algorithm, ex);
            return DecideLocally(permitCount, unavailable: true);
        }

        _factory.Succeeded();
        var values = (RedisResult[])result!;
        var admitted = (long)values[0] == 1;
        var remaining = (long)values[1];
        var decision = new HotpathRateLimitDecision(
            _algorithm.Policy,
            admitted,
            remaining,
            TimeSpan.FromMilliseconds((long)values[2]),
            admitted ? TimeSpan.Zero : TimeSpan.FromMilliseconds((long)values[3]),
            isLocal: false,
            isUnavailable: false);
        if (allowance is not null)
        {
            Observed(allowance, permitCount, remaining, decision.Reset, decision.RetryAfter, sent);
        }

        return Complete(decision, remaining);
    }

    /// <summary>Decides in process: with the cache disabled, or when the server could not be reached (<paramref name="unavailable"/>).</summary>
    private HotpathRateLimitLease DecideLocally(int permitCount, bool unavailable)
    {
        if (unavailable && _algorithm.FailureMode == RateLimiterFailureMode.FailClosed)
        {
            var refused = new HotpathRateLimitDecision(_algorithm.Policy, false, 0, _algorithm.LocalReset, _factory.UnavailableRetryAfter, isLocal: false, isUnavailable: true);
            return Complete(refused, Volatile.Read(ref _available));
        }

        (bool Admitted, long Remaining, TimeSpan RetryAfter) answer;
        try
        {
            answer = AskInProcess(LocalLimiter(), permitCount);
        }
        catch (ObjectDisposedException) when (Volatile.Read(ref _disposed) != 0)
        {
            // Dropped from a bounded map (and disposed) while this decision waited on the server: its
            // in-process count went with it, so a fresh one decides rather than failing the request.
            using var fresh = _algorithm.CreateLocalLimiter();
            answer = AskInProcess(fresh, permitCount);
        }

        var decision = new HotpathRateLimitDecision(_algorithm.Policy, answer.Admitted, answer.Remaining, _algorithm.LocalReset, answer.RetryAfter, isLocal: true, isUnavailable: false);
        return Complete(decision, answer.Remaining);
    }

    private (bool Admitted, long Remaining, TimeSpan RetryAfter) AskInProcess(RateLimiter local, int permitCount)
    {
        using var lease = local.AttemptAcquire(permitCount);
        var remaining = local.GetStatistics()?.CurrentAvailablePermits ?? 0;
        if (lease.IsAcquired)
        {
            return (true, remaining, TimeSpan.Zero);
        }

        return (false, remaining, lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : _algorithm.LocalReset);
    }

    /// <summary>Records a decision and makes its lease; <paramref name="now"/> is a timestamp the caller already read, or 0.</summary>
    private HotpathRateLimitLease Complete(HotpathRateLimitDecision decision, long remaining, long now = 0)
    {
        Volatile.Write(ref _lastUsed, now != 0 ? now : Stopwatch.GetTimestamp());
        Volatile.Write(ref _available, remaining);
        Interlocked.Increment(ref decision.IsAcquired ? ref _successful : ref _failed);
        _factory.Decided(decision, observe: !_requestAware);
        return new HotpathRateLimitLease(decision);
    }

    private RateLimiter LocalLimiter()
    {
        var local = Volatile.Read(ref _local);
        if (local is not null)
        {
            return local;
        }

        var created = _algorithm.CreateLocalLimiter();
        local = Interlocked.CompareExchange(ref _local, created, null);
        if (local is not null)
        {
            created.Dispose();
            return local;
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed meanwhile: the new limiter would never be disposed otherwise.
            created.Dispose();
        }

        return created;
    }

    private void Validate(int permitCount)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (permitCount < 0 || permitCount > _algorithm.MaxPermits)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"{permitCount} permit(s) is outside 0..{_algorithm.MaxPermits}, the limit of policy '{_algorithm.Policy.Name}'.");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && disposing)
        {
            Interlocked.Exchange(ref _local, null)?.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }
}
