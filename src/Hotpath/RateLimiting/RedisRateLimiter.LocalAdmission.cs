using System.Diagnostics;
using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Hotpath.RateLimiting;

/// <summary>
/// Local admission: permits come from the partition's leased allowance while it lasts; one lease at a
/// time per partition refills it, in the background from half a batch down, and synchronously when it
/// is empty. Near the limit the partition decides with one script run per request.
/// </summary>
/// <remarks>
/// Every permit admitted here was taken from the server's count by a lease before it was admitted, and
/// a fixed window's permits expire no later than the window that counted them (the lease's reset,
/// measured from before the call was sent), so the server's limit bounds what every instance admits
/// together. See docs/rate-limiting.md.
/// </remarks>
internal sealed partial class RedisRateLimiter
{
    private PartitionMap<LocalAllowance>? _store;
    private LocalAllowance? _allowance;

    private LocalAllowance Allowance(LocalAdmission admission)
    {
        var allowance = _allowance;
        if (allowance is null || allowance.Evicted)
        {
            _store ??= _factory.Allowances(_algorithm, admission);
            allowance = _allowance = _store.Get(Key, static (_, _) => new LocalAllowance(), 0);
        }

        return allowance;
    }

    private ValueTask<RateLimitLease> AdmitFromAllowance(IDatabase db, LocalAdmission admission, int permits, CancellationToken cancellationToken)
    {
        var allowance = Allowance(admission);
        return TakeFromAllowance(db, admission, allowance, permits, out var now) is { } taken
            ? new ValueTask<RateLimitLease>(Complete(taken, taken.Remaining, now))
            : AdmitSlowlyAsync(db, admission, allowance, permits, cancellationToken);
    }

    /// <summary>The fast path, shared by both acquires: takes the permits when the allowance covers them (starting a prefetch from half a batch down), else null. No I/O, no wait.</summary>
    private HotpathRateLimitDecision? TakeFromAllowance(IDatabase db, LocalAdmission admission, LocalAllowance allowance, int permits, out long now)
    {
        now = Stopwatch.GetTimestamp();
        Volatile.Write(ref allowance.LastUsed, now);
        HotpathRateLimitDecision? taken;
        TaskCompletionSource<LeaseOutcome>? prefetch;
        lock (allowance.Gate)
        {
            taken = TryTake(allowance, admission, permits, now, out prefetch);
        }

        if (prefetch is not null)
        {
            _ = LeaseAsync(db, admission, allowance, prefetch);
        }

        return taken;
    }

    /// <summary>The allowance cannot cover the request: wait for the lease in flight, lease, or decide exactly.</summary>
    private async ValueTask<RateLimitLease> AdmitSlowlyAsync(IDatabase db, LocalAdmission admission, LocalAllowance allowance, int permits, CancellationToken cancellationToken)
    {
        while (true)
        {
            HotpathRateLimitDecision? taken;
            TaskCompletionSource<LeaseOutcome>? prefetch;
            TaskCompletionSource<LeaseOutcome>? mine = null;
            Task<LeaseOutcome>? inFlight = null;
            var exact = false;
            var refused = false;
            var now = Stopwatch.GetTimestamp();
            lock (allowance.Gate)
            {
                taken = TryTake(allowance, admission, permits, now, out prefetch);
                if (taken is null)
                {
                    if (allowance.Exact && allowance.ServerRemaining == 0 && allowance.RetryAt > now)
                    {
                        // The server refused one permit until then, and no instance gives permits back:
                        // refusing here is the server's own answer, without asking it again.
                        refused = true;
                    }
                    else if (allowance.Pending is { } pending)
                    {
                        inFlight = pending.Task;
                    }
                    else if (allowance.Exact)
                    {
                        exact = true;
                    }
                    else
                    {
                        mine = allowance.Pending = new TaskCompletionSource<LeaseOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                        inFlight = mine.Task;
                    }
                }
            }

            if (prefetch is not null)
            {
                _ = LeaseAsync(db, admission, allowance, prefetch);
            }

            if (taken is not null)
            {
                return Complete(taken, taken.Remaining);
            }

            if (refused)
            {
                return Complete(Refusal(allowance), 0);
            }

            if (exact)
            {
                return await DecideOnServerAsync(db, permits, allowance).ConfigureAwait(false);
            }

            if (mine is not null)
            {
                _ = LeaseAsync(db, admission, allowance, mine);
            }

            // The lease is shared by every request waiting on the partition and goes on without a caller
            // who gives up: the caller's token cancels only its own wait.
            var outcome = await inFlight!.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (outcome == LeaseOutcome.Faulted)
            {
                return DecideLocally(permits, unavailable: true);
            }

            if (outcome == LeaseOutcome.Refused)
            {
                return Complete(Refusal(allowance), 0);
            }
        }
    }

    /// <summary>Takes the permits from the allowance when it covers them; asks for a prefetch from half a batch down. Under the gate.</summary>
    private HotpathRateLimitDecision? TryTake(LocalAllowance allowance, LocalAdmission admission, int permits, long now, out TaskCompletionSource<LeaseOutcome>? prefetch)
    {
        prefetch = null;
        if (allowance.Permits > 0 && now >= allowance.Expires)
        {
            allowance.Permits = 0;
        }

        if (allowance.Exact && allowance.ResetAt != 0 && now >= allowance.ResetAt)
        {
            // The server's quota is whole again: lease batches again.
            allowance.Exact = false;
        }

        if (allowance.Permits < permits)
        {
            return null;
        }

        allowance.Permits -= permits;
        if (!allowance.Exact && allowance.Pending is null && allowance.Permits < admission.PrefetchBelow)
        {
            prefetch = allowance.Pending = new TaskCompletionSource<LeaseOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new HotpathRateLimitDecision(
            _algorithm.Policy,
            isAcquired: true,
            remaining: allowance.ServerRemaining + allowance.Permits,
            reset: Until(allowance.ResetAt, now),
            retryAfter: TimeSpan.Zero,
            isLocal: false,
            isUnavailable: false,
            isFromAllowance: true);
    }

    private HotpathRateLimitDecision Refusal(LocalAllowance allowance)
    {
        var now = Stopwatch.GetTimestamp();
        long resetAt, retryAt;
        lock (allowance.Gate)
        {
            resetAt = allowance.ResetAt;
            retryAt = allowance.RetryAt;
        }

        var retry = Until(retryAt, now);
        return new HotpathRateLimitDecision(_algorithm.Policy, false, 0, Until(resetAt, now), retry > TimeSpan.Zero ? retry : TimeSpan.FromMilliseconds(1), isLocal: false, isUnavailable: false);
    }

    /// <summary>
    /// One lease: takes up to the rest of a batch from the server in one script run, adds it to the
    /// allowance and ends the partition's lease in flight. Never throws: a fault is reported and ends
    /// the lease as <see cref="LeaseOutcome.Faulted"/>.
    /// </summary>
    private async Task LeaseAsync(IDatabase db, LocalAdmission admission, LocalAllowance allowance, TaskCompletionSource<LeaseOutcome> done)
    {
        var outcome = LeaseOutcome.Faulted;
        try
        {
            long want;
            lock (allowance.Gate)
            {
                want = Math.Max(1, admission.BatchSize - allowance.Permits);
            }

            var sent = Stopwatch.GetTimestamp();
            _factory.CountServerCall();
            long granted, remaining, reset, retry;
            try
            {
                var result = await db.ScriptEvaluateAsync(admission.LeaseScript, _keys, admission.LeaseArguments(want)).ConfigureAwait(false);
                var values = (RedisResult[])result!;
                granted = (long)values[0];
                remaining = (long)values[1];
                reset = (long)values[2];
                retry = (long)values[3];
            }
            catch (Exception ex)
            {
                // As for a decision: the caller's token is not passed into the call, so every failure
                // here, a cancellation included, is a store fault of the policy.
                _factory.Faulted(_algorithm, ex);
                return;
            }

            _factory.Succeeded();
            lock (allowance.Gate)
            {
                Add(allowance, admission, granted, reset, sent);
                allowance.ServerRemaining = remaining;
                allowance.ResetAt = sent + Ticks(TimeSpan.FromMilliseconds(reset));
                allowance.RetryAt = sent + Ticks(TimeSpan.FromMilliseconds(retry));
                allowance.Exact = remaining < admission.BatchSize;
            }

            outcome = granted > 0 ? LeaseOutcome.Granted : LeaseOutcome.Refused;
        }
        finally
        {
            lock (allowance.Gate)
            {
                allowance.Pending = null;
            }

            done.SetResult(outcome);
        }
    }

    /// <summary>Adds granted permits; their use ends with the window that counted them (fixed window) or after the hold. Under the gate.</summary>
    private static void Add(LocalAllowance allowance, LocalAdmission admission, long granted, long resetMilliseconds, long sent)
    {
        if (granted <= 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var hold = admission.HoldFromReset ? TimeSpan.FromMilliseconds(resetMilliseconds) : admission.Hold;
        var expires = sent + Ticks(hold);
        if (allowance.Permits <= 0 || now >= allowance.Expires)
        {
            allowance.Permits = granted;
            allowance.Expires = expires;
        }
        else if (!admission.HoldFromReset)
        {
            // Tokens left the bucket when leased: holding them longer never hands out more in total.
            allowance.Permits += granted;
            allowance.Expires = Math.Max(allowance.Expires, expires);
        }
        else if (expires - allowance.Expires >= Ticks(admission.Hold) / 2)
        {
            // A later window: the permits left from the earlier one may not be used in it.
            allowance.Permits = granted;
            allowance.Expires = expires;
        }
        else
        {
            // The same window: the earlier deadline of the two is safe for both.
            allowance.Permits += granted;
            allowance.Expires = Math.Min(allowance.Expires, expires);
        }
    }

    /// <summary>Updates the allowance from an exact decision's answer. Under no gate; takes it.</summary>
    private void Observed(LocalAllowance allowance, int permits, long remaining, TimeSpan reset, TimeSpan retryAfter, long sent)
    {
        var batch = _algorithm.LocalAdmission!.BatchSize;
        lock (allowance.Gate)
        {
            allowance.ServerRemaining = remaining;
            allowance.ResetAt = sent + Ticks(reset);
            if (permits == 1)
            {
                // A retry-after of one permit holds for any request; a larger request's would not.
                allowance.RetryAt = sent + Ticks(retryAfter);
            }

            allowance.Exact = remaining < batch;
        }
    }

    private static TimeSpan Until(long timestamp, long now) =>
        timestamp > now ? Stopwatch.GetElapsedTime(now, timestamp) : TimeSpan.Zero;

    private static long Ticks(TimeSpan value) => (long)(value.TotalSeconds * Stopwatch.Frequency);
}
