namespace Hotpath.Internals;

/// <summary>
/// Closed: every call goes to the server. After <see cref="ResilienceOptions.FailureThreshold"/>
/// consecutive faults it opens: calls skip the server for <see cref="ResilienceOptions.BreakDuration"/>.
/// Then one probe is let through (half-open); its success closes the breaker, its failure opens it again.
/// A probe that reports neither (it was cancelled, or its caller found nothing to send) is given up after
/// another <see cref="ResilienceOptions.BreakDuration"/> and the next caller probes instead, so the
/// breaker can never stay half-open for good.
/// </summary>
internal sealed class CircuitBreaker
{
    private const int Closed = 0;
    private const int Open = 1;
    private const int HalfOpen = 2;

    private readonly ResilienceOptions _options;
    private readonly TimeProvider _time;
    private readonly long _breakTicks;
    private int _state;
    private int _failures;

    /// <summary>While open, when the first probe may go; while half-open, when the probe is given up.</summary>
    private long _deadline;

    public CircuitBreaker(ResilienceOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _breakTicks = (long)(options.BreakDuration.TotalSeconds * time.TimestampFrequency);
    }

    public bool IsOpen => Volatile.Read(ref _state) != Closed;

    /// <summary>Whether this call may go to the server.</summary>
    public bool Allow()
    {
        var state = Volatile.Read(ref _state);
        if (state == Closed)
        {
            return true;
        }

        var deadline = Volatile.Read(ref _deadline);
        var now = _time.GetTimestamp();
        if (now < deadline)
        {
            return false;
        }

        // Exactly one caller becomes the probe: the one that moves the deadline.
        if (Interlocked.CompareExchange(ref _deadline, now + _breakTicks, deadline) != deadline)
        {
            return false;
        }

        Interlocked.CompareExchange(ref _state, HalfOpen, Open);
        return true;
    }

    public void Succeeded()
    {
        if (Volatile.Read(ref _failures) != 0 || Volatile.Read(ref _state) != Closed)
        {
            Volatile.Write(ref _failures, 0);
            Volatile.Write(ref _state, Closed);
        }
    }

    /// <summary>Counts a fault; returns true when this fault opened the breaker.</summary>
    public bool Failed()
    {
        var failures = Interlocked.Increment(ref _failures);
        var state = Volatile.Read(ref _state);
        if (state == HalfOpen || (state == Closed && failures >= _options.FailureThreshold))
        {
            Volatile.Write(ref _deadline, _time.GetTimestamp() + _breakTicks);
            return Interlocked.Exchange(ref _state, Open) != Open;
        }

        return false;
    }
}
