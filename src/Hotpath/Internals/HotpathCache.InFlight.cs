using System.Globalization;
namespace Hotpath.Internals;

// Concurrent misses share one factory run (GetOrSet.cs), but a run that started before an
// invalidation may have read the old row: a caller that arrives after the invalidation must not
// share it. So every invalidation, local or heard on the backplane, first takes the runs it touches
// out of the shared map: callers already waiting keep their run (they began before the write was
// done), later callers start a fresh one. The detached run's result stays out of the cache as before
// (its lease was voided, or its tag versions are outdated).
internal sealed partial class HotpathCache
{
    /// <summary>How many callers wait for the factory run in progress for <paramref name="key"/> (0 when none runs).</summary>
    internal int WaitersFor(string key) => _inFlight.TryGetValue(key, out var flight) ? flight.Waiters : 0;

    /// <summary>Stops later callers from sharing the factory run in progress for <paramref name="key"/>, if any.</summary>
    private void DetachFlight(string key) => _inFlight.TryRemove(key, out _);

    /// <summary>Stops later callers from sharing any factory run whose entry carries the (escaped) tag.</summary>
    private void DetachTaggedFlights(string escapedTag)
    {
        foreach (var pair in _inFlight)
        {
            if (pair.Value.Tags is { } tags && tags.Any(t => CacheKey.Escape(t) == escapedTag))
            {
                _inFlight.TryRemove(pair);
            }
        }
    }

    /// <summary>Stops later callers from sharing any factory run in progress (pattern deletions, whole clears).</summary>
    private void DetachAllFlights()
    {
        foreach (var pair in _inFlight)
        {
            _inFlight.TryRemove(pair);
        }
    }

    /// <summary>What another instance invalidated, heard on the backplane: the same detaching as a local invalidation.</summary>
    private void OnRemoteInvalidation(InvalidationKind kind, string payload)
    {
        if (kind == InvalidationKind.Clear)
        {
            // Another instance reset the cache (the payload is its new generation), or this one may have
            // missed a reset (the backplane is back after a gap): adopt it, or read it again.
            if (long.TryParse(payload, NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
            {
                RaiseGeneration(generation);
            }
            else
            {
                ForgetGeneration();
            }
        }

        ((IInvalidationTarget)this).DetachFlights(kind, payload);
    }
}
