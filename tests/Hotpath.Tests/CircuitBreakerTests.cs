using Hotpath.Internals;

namespace Hotpath.Tests;

/// <summary>The breaker's states on a clock the test moves; the outage tests cover it against a real server.</summary>
public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(5);

    private static (CircuitBreaker Breaker, ManualClock Clock) Opened()
    {
        var clock = new ManualClock();
        var breaker = new CircuitBreaker(new ResilienceOptions { FailureThreshold = 2, BreakDuration = Break }, clock);
        Assert.False(breaker.Failed());
        Assert.True(breaker.Failed());
        Assert.True(breaker.IsOpen);
        return (breaker, clock);
    }

    [Fact]
    public void WhileOpenNothingGoesThroughThenExactlyOneProbeDoes()
    {
        var (breaker, clock) = Opened();
        Assert.False(breaker.Allow());

        clock.Advance(Break);
        Assert.True(breaker.Allow());
        Assert.False(breaker.Allow());
        Assert.False(breaker.Allow());
    }

    [Fact]
    public void TheProbesSuccessClosesTheBreakerAndItsFailureOpensItForAnotherBreak()
    {
        var (breaker, clock) = Opened();
        clock.Advance(Break);
        Assert.True(breaker.Allow());
        Assert.True(breaker.Failed());
        Assert.False(breaker.Allow());

        clock.Advance(Break);
        Assert.True(breaker.Allow());
        breaker.Succeeded();
        Assert.False(breaker.IsOpen);
        Assert.True(breaker.Allow());
        Assert.True(breaker.Allow());
    }

    [Fact]
    public void AProbeThatNeverReportsIsGivenUpAfterABreakAndAnotherCallerProbes()
    {
        var (breaker, clock) = Opened();
        clock.Advance(Break);
        Assert.True(breaker.Allow());

        // The probe's caller was cancelled: it reports neither success nor failure.
        clock.Advance(Break - TimeSpan.FromTicks(1));
        Assert.False(breaker.Allow());
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.True(breaker.Allow());
        Assert.False(breaker.Allow());

        breaker.Succeeded();
        Assert.False(breaker.IsOpen);
    }

    [Fact]
    public void ConcurrentCallersAtTheEndOfTheBreakProduceOneProbe()
    {
        var (breaker, clock) = Opened();
        clock.Advance(Break);
        var allowed = 0;
        Parallel.For(0, 10_000, _ =>
        {
            if (breaker.Allow())
            {
                Interlocked.Increment(ref allowed);
            }
        });

        Assert.Equal(1, allowed);
    }
}
