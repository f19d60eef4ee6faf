namespace Hotpath.Internals;

/// <summary>
/// "Log once per burst" for every component that talks to the server (the cache, the rate limiters,
/// idempotency): the first fault after a quiet <c>interval</c> is logged with the number of faults not
/// logged since the last report; the others only count. After a burst, the first success reports how
/// many faults it ended, once. Lock-free; safe from any thread.
/// </summary>
internal sealed class BurstLog
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _lastReportTimestamp = long.MinValue;
    private long _suppressed;
    private long _faultsSinceSuccess;
    private long _totalFaults;

    public BurstLog(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Every fault counted since start.</summary>
    public long TotalFaults => Interlocked.Read(ref _totalFaults);

    /// <summary>Counts a fault; true when this one should be logged, with how many were not logged before it.</summary>
    public bool ShouldLog(out long suppressed)
    {
        Interlocked.Increment(ref _totalFaults);
        Interlocked.Increment(ref _faultsSinceSuccess);
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastReportTimestamp);
        if ((last != long.MinValue && now - last < _intervalTicks)
            || Interlocked.CompareExchange(ref _lastReportTimestamp, now, last) != last)
        {
            Interlocked.Increment(ref _suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return true;
    }

    /// <summary>Called after a successful round trip; true once after a burst, with the number of faults it ended.</summary>
    public bool Recovered(out long faults)
    {
        faults = Volatile.Read(ref _faultsSinceSuccess) == 0 ? 0 : Interlocked.Exchange(ref _faultsSinceSuccess, 0);
        return faults > 0;
    }
}
