using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace Hotpath.Internals;

internal enum ClaimMode : byte
{
    /// <summary>Claim the key only if it holds no current value.</summary>
    Get,

    /// <summary>Claim the key even though it holds a current value (eager refresh); readers keep getting that value meanwhile.</summary>
    Refresh,

    /// <summary>Claim the key even from another caller's lease (that caller took longer than we were willing to wait).</summary>
    Steal,
}

// Cache-aside with three guards:
// - in-process coalescing: concurrent misses on one key share one factory run;
// - a lease kept in the key itself: the miss path atomically replaces the missing (or logically
//   expired) value with a placeholder "H1 l=<token>…" that carries the previous value, if any, runs
//   the factory, and stores the result only if its placeholder is still there. A delete or write of
//   the key meanwhile removes the placeholder, so a result read from the database before that write
//   never reaches the cache (the stale-set race);
// - cross-instance waiting: another instance that finds the placeholder waits for the value instead
//   of running its own factory, up to LeaseWaitTimeout, then takes the lease over.
// Fail-safe and eager refresh reuse the same claim: the previous value carried by the placeholder is
// what a failing or slow factory falls back on, and what readers keep getting during a refresh.
internal sealed partial class HotpathCache
{
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);

    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        var settings = new EntrySettings(null, _options, ResolveTtl(ttl));
        cancellationToken.ThrowIfCancellationRequested();
        return GetOrSetCoreAsync(key, factory, static (f, ct) => f(ct), settings, cancellationToken);
    }

    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        ValidateTags(options?.Tags);
        var settings = new EntrySettings(options, _options, ResolveTtl(options?.Ttl));
        cancellationToken.ThrowIfCancellationRequested();
        return GetOrSetCoreAsync(key, state, factory, settings, cancellationToken);
    }

    private ValueTask<T> GetOrSetCoreAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, CancellationToken cancellationToken)
    {
        if (settings.UseMemory && TryGetFromMemory<T>(key, out var value, out var entry))
        {
            RefreshEarlyIfDue(key, state, factory, settings, entry.CreatedUnixMs, entry.LogicalExpiryUnixMs, entry);
            return new ValueTask<T>(value);
        }

        if (_db is null)
        {
            _metrics.Miss(key);
            return CoalesceAsync(key, state, factory, settings, cancellationToken);
        }

        return GetOrSetSlowAsync(key, state, factory, settings, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> GetOrSetSlowAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, CancellationToken cancellationToken)
    {
        var read = await ReadEntryAsync<T>(key, cancellationToken).ConfigureAwait(false);
        if (read.Status == ReadStatus.Hit)
        {
            RefreshEarlyIfDue(key, state, factory, settings, read.CreatedUnixMs, read.LogicalExpiryUnixMs, entry: null);
            return read.Value;
        }

        return await CoalesceAsync(key, state, factory, settings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a background refresh when a hit comes after the eager-refresh fraction of the entry's lifetime.</summary>
    private void RefreshEarlyIfDue<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, long createdUnixMs, long expiryUnixMs, MemoryEntry? entry)
    {
        if (settings.EagerRefreshThreshold is not { } threshold || expiryUnixMs <= createdUnixMs || _db is null)
        {
            return;
        }

        if (NowUnixMs() < createdUnixMs + (long)((expiryUnixMs - createdUnixMs) * threshold))
        {
            return;
        }

        if (entry is not null && Interlocked.Exchange(ref entry.RefreshStarted, 1) != 0)
        {
            return;
        }

        var flight = new InFlight<T> { Tags = settings.Tags };
        if (_inFlight.TryAdd(key, flight))
        {
            _metrics.EagerRefresh(key);
            _ = RunFlightAsync(key, flight, state, factory, settings, ClaimMode.Refresh);
        }
    }

    private async ValueTask<T> CoalesceAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Most callers in a stampede join a run that exists: allocate a new one only when needed.
            InFlight<T>? mine = null;
            if (!_inFlight.TryGetValue(key, out var flight))
            {
                mine = new InFlight<T> { Tags = settings.Tags };
                flight = _inFlight.GetOrAdd(key, mine);
            }

            if (flight is not InFlight<T> typed)
            {
                // The same key read as another type at the same moment: do not share, just compute.
                return await ComputeAsync(key, state, factory, settings, ClaimMode.Get, cancellationToken).ConfigureAwait(false);
            }

            if (ReferenceEquals(typed, mine))
            {
                _ = RunFlightAsync(key, typed, state, factory, settings, ClaimMode.Get);
            }
            else
            {
                _metrics.CoalescedWait(key);
            }

            if (!typed.TryJoin())
            {
                // Every earlier waiter cancelled and the run was abandoned; start a fresh one.
                _inFlight.TryRemove(new KeyValuePair<string, InFlight>(key, typed));
                continue;
            }

            var cancelled = false;
            try
            {
                return await typed.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                throw;
            }
            finally
            {
                typed.Leave(cancelled);
            }
        }
    }

    private async Task RunFlightAsync<TState, T>(string key, InFlight<T> flight, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, ClaimMode mode)
    {
        // Let the first caller join before the factory can complete synchronously.
        await Task.Yield();
        try
        {
            var value = await ComputeAsync(key, state, factory, settings, mode, flight.FactoryToken).ConfigureAwait(false);
            flight.Completion.TrySetResult(value);
        }
        catch (OperationCanceledException ex) when (flight.FactoryToken.IsCancellationRequested)
        {
            flight.Completion.TrySetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            if (mode == ClaimMode.Refresh)
            {
                Log.BackgroundRefreshFailed(_logger, KeyArea(key), ex);
            }

            flight.Completion.TrySetException(ex);
        }
        finally
        {
            // Removed only after the value is stored, so a later caller either joins or reads it.
            _inFlight.TryRemove(new KeyValuePair<string, InFlight>(key, flight));
        }
    }

    /// <summary>The miss path of one process: claim the key, run the factory, store if still claimed.</summary>
    private async ValueTask<T> ComputeAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, ClaimMode mode, CancellationToken cancellationToken)
    {
        if (_db is null || !CanRead)
        {
            // No server, or one that cannot be trusted yet: compute and store nothing.
            return await RunFactoryAsync(key, state, factory, settings, new Claim<T>(), cancellationToken).ConfigureAwait(false);
        }

        var claim = new Claim<T> { Head = EntryCodec.LeaseHead(NewLeaseToken()), Before = _memory?.Snapshot(key) ?? default };
        var deadline = _time.GetTimestamp() + (long)(_options.LeaseWaitTimeout.TotalSeconds * _time.TimestampFrequency);
        try
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                // Tag versions are read before the factory runs, pipelined with the claim, so an
                // invalidation during the factory run leaves the stored entry already outdated.
                var generation = EnsureGenerationAsync(cancellationToken);
                var versions = settings.Tags is not null ? GetTagVersionsAsync(settings.Tags, cancellationToken) : null;
                var result = await WithCancellation(_db.ScriptEvaluateAsync(EntryScripts.Claim, [key], [claim.Head, (long)_options.LeaseDuration.TotalMilliseconds, NowUnixMs(), ModeName(mode)]), cancellationToken).ConfigureAwait(false);
                claim.TagVersions = versions is null ? null : await versions.ConfigureAwait(false);
                await generation.ConfigureAwait(false);
                _faults.Succeeded();
                if (result.IsNull)
                {
                    claim.Leased = true;
                    break;
                }

                if (result.Resp2Type == ResultType.Array)
                {
                    claim.Leased = true;
                    var previous = (byte[]?)((RedisResult[])result!)[0];
                    var carried = await DecodeAsync<T>(key, previous, previous is not null, cancellationToken).ConfigureAwait(false);
                    if (carried.Status is ReadStatus.Hit or ReadStatus.Stale)
                    {
                        claim.Previous = carried;
                    }

                    break;
                }

                var bytes = (byte[]?)result;
                var found = await DecodeAsync<T>(key, bytes, bytes is not null, cancellationToken).ConfigureAwait(false);
                if (found.Status == ReadStatus.Hit)
                {
                    // A value appeared since our read (or another instance is refreshing a current one).
                    _metrics.Hit(key);
                    Remember(key, found, bytes, claim.Before);
                    return found.Value;
                }

                if (found.Status is ReadStatus.Leased or ReadStatus.Stale)
                {
                    if (found.Status == ReadStatus.Stale)
                    {
                        claim.Previous = found;
                    }

                    // Another caller is computing this key.
                    if (mode == ClaimMode.Refresh || !settings.StampedeProtection)
                    {
                        break;
                    }

                    if (_time.GetTimestamp() < deadline)
                    {
                        await Task.Delay(WaitStep(attempt), _time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    // It took longer than we wait: take the lease over.
                    mode = ClaimMode.Steal;
                    continue;
                }

                // Outdated by a reset or a tag, or unreadable: remove it (a delete is always safe) and claim again.
                if (attempt >= 3)
                {
                    break;
                }

                await WithCancellation(_db.KeyDeleteAsync(key), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("get or set", ex);
            claim.Leased = false;
        }

        return await RunFactoryAsync(key, state, factory, settings, claim, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the factory with the entry's timeouts and fail-safe, then stores its result if the key is still ours.</summary>
    private async ValueTask<T> RunFactoryAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, EntrySettings settings, Claim<T> claim, CancellationToken cancellationToken)
    {
        using var activity = HotpathActivities.Source.HasListeners() ? HotpathActivities.Start("hotpath.factory", _metrics.Area(key), ActivityKind.Internal) : null;
        activity?.SetTag("hotpath.leased", claim.Leased);
        var fallback = settings.FailSafe && claim.Previous.Status is ReadStatus.Stale or ReadStatus.Hit;
        if (fallback && claim.Previous.Status == ReadStatus.Stale && IsFailSafeThrottled(key))
        {
            // The factory failed a moment ago: serve the stale value without trying again yet.
            Release(key, claim);
            _metrics.FailSafeActivated(key);
            return claim.Previous.Value;
        }

        Task<T> running;
        try
        {
            running = factory(state, cancellationToken).AsTask();
        }
        catch (Exception ex)
        {
            // A factory that throws before its first await fails the same way as one that throws after.
            running = Task.FromException<T>(ex);
        }

        var timeout = fallback ? settings.SoftTimeout : settings.HardTimeout;
        if (timeout is { } limit && !running.IsCompleted)
        {
            try
            {
                await running.WaitAsync(limit, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (!running.IsCompleted)
            {
                // The factory goes on in the background and stores its value when it finishes.
                _ = FinishInBackgroundAsync(key, running, settings, claim);
                if (fallback)
                {
                    _metrics.FailSafeActivated(key);
                    Log.FailSafeActivated(_logger, KeyArea(key), "was slower than its soft timeout", null);
                    return claim.Previous.Value;
                }

                throw new TimeoutException($"The cache factory for a key in area '{KeyArea(key)}' did not finish within {limit} (Hotpath:FactoryHardTimeout).");
            }
        }

        T value;
        try
        {
            value = await running.ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            if (fallback)
            {
                _metrics.FailSafeActivated(key);
                Log.FailSafeActivated(_logger, KeyArea(key), "failed", ex);
                // Serve the stale value for a while rather than hammering a failing source. The entry
                // is given back as it was, still past its time to live: re-storing it would make a
                // plain read take the stale value for a fresh one.
                ThrottleFailSafe(key);
                Release(key, claim);
                return claim.Previous.Value;
            }

            Release(key, claim);
            throw;
        }
        catch
        {
            Release(key, claim);
            throw;
        }

        await StoreIfLeasedAsync(key, value, settings, claim, settings.Ttl).ConfigureAwait(false);
        return value;
    }

    /// <summary>Keys whose factory failed recently, with the timestamp until which fail-safe serves stale without retrying.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _failSafeThrottle = new(StringComparer.Ordinal);

    // A safety bound, not a tuning knob: past it the throttle is forgotten, which only means a failing
    // factory is tried again sooner.
    private const int MaxFailSafeThrottles = 10_000;

    private void ThrottleFailSafe(string key)
    {
        if (_failSafeThrottle.Count >= MaxFailSafeThrottles)
        {
            _failSafeThrottle.Clear();
        }

        _failSafeThrottle[key] = _time.GetTimestamp() + (long)(_options.FailSafeThrottleDuration.TotalSeconds * _time.TimestampFrequency);
    }

    private bool IsFailSafeThrottled(string key)
    {
        if (!_failSafeThrottle.TryGetValue(key, out var until))
        {
            return false;
        }

        if (_time.GetTimestamp() < until)
        {
            return true;
        }

        _failSafeThrottle.TryRemove(new KeyValuePair<string, long>(key, until));
        return false;
    }

    private async Task FinishInBackgroundAsync<T>(string key, Task<T> running, EntrySettings settings, Claim<T> claim)
    {
        try
        {
            var value = await running.ConfigureAwait(false);
            await StoreIfLeasedAsync(key, value, settings, claim, settings.Ttl).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Release(key, claim);
            Log.BackgroundRefreshFailed(_logger, KeyArea(key), ex);
        }
    }

    private async ValueTask StoreIfLeasedAsync<T>(string key, T value, EntrySettings settings, Claim<T> claim, TimeSpan logicalTtl)
    {
        if (!claim.Leased || _db is null || !_faults.Allow())
        {
            return;
        }

        try
        {
            var now = NowUnixMs();
            var bytes = Encode(value, claim.TagVersions, now, logicalTtl, settings);
            var physical = logicalTtl + (settings.FailSafe ? _options.FailSafeMaxDuration : TimeSpan.Zero);
            var stored = await _db.ScriptEvaluateAsync(EntryScripts.StoreIfLeased, [key], [claim.Head, bytes, (long)physical.TotalMilliseconds]).ConfigureAwait(false);
            _faults.Succeeded();
            if ((long)stored == 0)
            {
                _metrics.LeaseVoided(key);
                return;
            }

            if (_memory is not null && settings.UseMemory)
            {
                var tags = claim.TagVersions is null ? null : TagNames(claim.TagVersions);
                _memory.Store(key, NewMemoryEntry(value, settings.CopyOnRead ? PayloadOf(bytes) : null, now, now + (long)logicalTtl.TotalMilliseconds, logicalTtl, tags, bytes.Length), claim.Before);
            }

            // Other instances may hold the value this one replaced.
            await AnnounceAsync(InvalidationKind.Key, key).ConfigureAwait(false);
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("set", ex);
            _metrics.Error(key, "set");
        }
    }

    private void Release<T>(string key, Claim<T> claim)
    {
        if (claim.Leased && _db is not null)
        {
            _ = _db.ScriptEvaluateAsync(EntryScripts.Release, [key], [claim.Head], CommandFlags.FireAndForget);
        }
    }

    private static string ModeName(ClaimMode mode) => mode switch
    {
        ClaimMode.Refresh => "refresh",
        ClaimMode.Steal => "steal",
        _ => "get",
    };

    private static TimeSpan WaitStep(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5 * (attempt + 1), 50));

    private static string NewLeaseToken()
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexString(random);
    }

    /// <summary>What one miss path learned while claiming the key.</summary>
    private sealed class Claim<T>
    {
        public string Head { get; init; } = string.Empty;

        public MemorySnapshot Before { get; init; }

        public bool Leased { get; set; }

        public string? TagVersions { get; set; }

        /// <summary>The value the key held before (current during a refresh, stale under fail-safe).</summary>
        public ReadResult<T> Previous { get; set; }
    }
}
