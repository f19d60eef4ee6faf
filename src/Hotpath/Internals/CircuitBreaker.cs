namespace Hotpath.Internals;

/// <summary>
/// Closed: every call goes to the server. After <see cref="ResilienceOptions.FailureThreshold"/>
/// consecutive faults it opens: calls skip the server for <see cref="ResilienceOptions.BreakDuration"/>.
/// Then one probe is let through (half-open); its success closes the breaker, its failure opens it again.
/// </summary>
internal sealed class CircuitBreaker
{
    private const int Closed = 0;
    private const int Open = 1;
    private const int HalfOpen = 2;

    private readonly ResilienceOptions _options;
    private readonly TimeProvider _time;
    private int _state;
    private int _failures;
    private long _openUntil;

    public CircuitBreaker(ResilienceOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
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

        if (state == Open && _time.GetTimestamp() >= Volatile.Read(ref _openUntil))
        {
            // Exactly one caller becomes the probe.
            return Interlocked.CompareExchange(ref _state, HalfOpen, Open) == Open;
        }

        return false;
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
            Volatile.Write(ref _openUntil, _time.GetTimestamp() + (long)(_options.BreakDuration.TotalSeconds * _time.TimestampFrequency));
            return Interlocked.Exchange(ref _state, Open) != Open;
        }

        return false;
    }
}
