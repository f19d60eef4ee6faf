using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace Hotpath.Internals;

// Cache-aside with two guards:
// - in-process coalescing: concurrent misses on one key share one factory run;
// - a lease in the key itself: the miss path atomically claims the missing key with a placeholder
//   (SET NX PX in a script that also returns the value if one appeared), runs the factory, and stores
//   the result only if the placeholder is still there. A delete or write of the key meanwhile removes
//   the placeholder, so a result read from the database before that write never reaches the cache
//   (the stale-set race). Another instance that finds the placeholder waits for the value instead of
//   running its own factory, up to LeaseWaitTimeout.
internal sealed partial class HotpathCache
{
    private const string AcquireScript = """
        local v = redis.call('GET', KEYS[1])
        if v then return v end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return false
        """;

    private const string StoreIfLeasedScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);

    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return GetOrSetAsync(key, factory, static (f, ct) => f(ct), ttl is null ? null : new CacheEntryOptions { Ttl = ttl }, cancellationToken);
    }

    public ValueTask<T> GetOrSetAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        ArgumentNullException.ThrowIfNull(factory);
        var ttl = ResolveTtl(options?.Ttl);
        ValidateTags(options?.Tags);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            _metrics.Miss(key);
            return CoalesceAsync(key, state, factory, ttl, options?.Tags, cancellationToken);
        }

        return GetOrSetCoreAsync(key, state, factory, ttl, options?.Tags, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T> GetOrSetCoreAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, TimeSpan ttl, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        var hit = await ReadAsync<T>(key, cancellationToken).ConfigureAwait(false);
        if (hit.Found)
        {
            return hit.Value;
        }

        return await CoalesceAsync(key, state, factory, ttl, tags, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<T> CoalesceAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, TimeSpan ttl, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        while (true)
        {
            var mine = new InFlight<T>();
            var flight = _inFlight.GetOrAdd(key, mine);
            if (flight is not InFlight<T> typed)
            {
                // The same key read as another type at the same moment: do not share, just compute.
                return await ComputeAsync(key, state, factory, ttl, tags, cancellationToken).ConfigureAwait(false);
            }

            if (ReferenceEquals(typed, mine))
            {
                _ = RunFlightAsync(key, typed, state, factory, ttl, tags);
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

    private async Task RunFlightAsync<TState, T>(string key, InFlight<T> flight, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, TimeSpan ttl, IReadOnlyList<string>? tags)
    {
        // Let the caller join before the factory can complete synchronously.
        await Task.Yield();
        try
        {
            var value = await ComputeAsync(key, state, factory, ttl, tags, flight.FactoryToken).ConfigureAwait(false);
            flight.Completion.TrySetResult(value);
        }
        catch (OperationCanceledException ex) when (flight.FactoryToken.IsCancellationRequested)
        {
            flight.Completion.TrySetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            flight.Completion.TrySetException(ex);
        }
        finally
        {
            // Removed only after the value is stored, so a later caller either joins or reads it.
            _inFlight.TryRemove(new KeyValuePair<string, InFlight>(key, flight));
        }
    }

    /// <summary>The miss path of one process: claim the key, run the factory, store if still claimed.</summary>
    private async ValueTask<T> ComputeAsync<TState, T>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> factory, TimeSpan ttl, IReadOnlyList<string>? tags, CancellationToken cancellationToken)
    {
        if (_db is null)
        {
            return await factory(state, cancellationToken).ConfigureAwait(false);
        }

        var token = NewLeaseToken();
        var marker = EntryCodec.LeaseMarker(token);
        var leased = false;
        string? tagVersions = null;
        var deadline = _time.GetTimestamp() + (long)(_options.LeaseWaitTimeout.TotalSeconds * _time.TimestampFrequency);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                // Tag versions are read before the factory runs, pipelined with the claim, so an
                // invalidation during the factory run leaves the stored entry already outdated.
                var versions = tags is { Count: > 0 } ? GetTagVersionsAsync(tags, cancellationToken) : null;
                var claim = await WithCancellation(_db.ScriptEvaluateAsync(AcquireScript, [key], [marker, (long)_options.LeaseDuration.TotalMilliseconds]), cancellationToken).ConfigureAwait(false);
                tagVersions = versions is null ? null : await versions.ConfigureAwait(false);
                _faults.Succeeded();
                if (claim.IsNull)
                {
                    leased = true;
                    break;
                }

                using var existing = LeaseOf((byte[]?)claim);
                if (EntryCodec.TryParse(existing.Span, out var info) && info.IsLease)
                {
                    // Another instance is computing this key: wait for its value, bounded.
                    if (attempt < 1000 && _time.GetTimestamp() < deadline)
                    {
                        await Task.Delay(WaitStep(attempt), _time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    break;
                }

                var found = await DecodeAsync<T>(key, existing, cancellationToken).ConfigureAwait(false);
                if (found.Found)
                {
                    _metrics.Lookup(key, hit: true);
                    return found.Value;
                }

                // Outdated by a tag or unreadable: remove it (a delete is always safe) and claim again.
                if (attempt >= 2)
                {
                    break;
                }

                await WithCancellation(_db.KeyDeleteAsync(key), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("get or set", ex);
            return await factory(state, cancellationToken).ConfigureAwait(false);
        }

        T value;
        try
        {
            value = await factory(state, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (leased)
            {
                _ = _db.ScriptEvaluateAsync(ReleaseScript, [key], [marker], CommandFlags.FireAndForget);
            }

            throw;
        }

        if (leased)
        {
            await StoreIfLeasedAsync(key, marker, value, ttl, tagVersions).ConfigureAwait(false);
        }

        return value;
    }

    private async ValueTask StoreIfLeasedAsync<T>(string key, byte[] marker, T value, TimeSpan ttl, string? tagVersions)
    {
        try
        {
            var bytes = Encode(value, tagVersions);
            var stored = await _db!.ScriptEvaluateAsync(StoreIfLeasedScript, [key], [marker, bytes, (long)ttl.TotalMilliseconds]).ConfigureAwait(false);
            _faults.Succeeded();
            if ((long)stored == 0)
            {
                _metrics.LeaseVoided(key);
            }
        }
        catch (Exception ex) when (FaultReporter.IsStoreFault(ex))
        {
            _faults.Report("set", ex);
            _metrics.Error(key, "set");
        }
    }

    private static TimeSpan WaitStep(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5 * (attempt + 1), 50));

    private static string NewLeaseToken()
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexString(random);
    }

    private static Lease<byte> LeaseOf(byte[]? bytes)
    {
        var lease = Lease<byte>.Create(bytes?.Length ?? 0, clear: false);
        bytes?.CopyTo(lease.Span);
        return lease;
    }
}
