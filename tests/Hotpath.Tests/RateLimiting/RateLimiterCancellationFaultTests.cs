using System.Reflection;
using Hotpath.Internals;
using Hotpath.RateLimiting;
using Hotpath.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Hotpath.Tests.RateLimiting;

/// <summary>
/// A cancellation that does not come from the caller (the client's timeout or teardown path) is a store
/// fault: the policy fails open or closed instead of the call throwing.
/// </summary>
public sealed class RateLimiterCancellationFaultTests
{
    public static TheoryData<string> Algorithms => new() { RateLimiterKit.FixedWindow, RateLimiterKit.SlidingWindow, RateLimiterKit.TokenBucket };

    private static HotpathRateLimiterFactory CancellingFactory(Task? until = null)
    {
        var server = TestServers.Garnet;
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = $"rlcancel:{Guid.NewGuid():N}" };
        var multiplexer = CancellingScripts.Wrap(TestServers.Multiplexer(server), until);
        return RateLimiterKit.Factory(HotpathConnection.Wrap(multiplexer, options, NullLogger.Instance));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task ACancelledScriptCallNotFromTheCallerFailsOpen(string algorithm)
    {
        var factory = CancellingFactory();
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1));

        var admitted = 0;
        for (var i = 0; i < 5; i++)
        {
            using var lease = await limiter.AcquireAsync(1);
            Assert.True(lease.Decision().IsLocal);
            admitted += lease.IsAcquired ? 1 : 0;
        }

        Assert.Equal(3, admitted);
        Assert.Equal(5, factory.TotalFaults);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task ACancelledScriptCallNotFromTheCallerFailsClosedWhenThePolicySaysSo(string algorithm)
    {
        var factory = CancellingFactory();
        using var limiter = RateLimiterKit.Create(factory, algorithm, "alice", 3, TimeSpan.FromHours(1), RateLimiterFailureMode.FailClosed);

        using var lease = await limiter.AcquireAsync(1);
        Assert.False(lease.IsAcquired);
        Assert.True(lease.Decision().IsUnavailable);
    }

    [Fact]
    public async Task ALimiterDisposedWhileItsDecisionWaitsOnAFailingServerStillDecidesInProcess()
    {
        // A bounded partition map disposes the limiters it drops; a request may still be waiting on one.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var factory = CancellingFactory(gate.Task);
        var limiter = RateLimiterKit.Create(factory, RateLimiterKit.FixedWindow, "alice", 3, TimeSpan.FromHours(1));

        var pending = limiter.AcquireAsync(1);
        Assert.False(pending.IsCompleted);
        limiter.Dispose();
        gate.SetResult();
        using var lease = await pending;

        Assert.True(lease.IsAcquired);
        Assert.True(lease.Decision().IsLocal);
        Assert.Equal(1, factory.TotalFaults);
    }

    [Fact]
    public async Task TheCallersOwnCancellationIsACancellation()
    {
        var factory = CancellingFactory();
        using var limiter = RateLimiterKit.Create(factory, RateLimiterKit.FixedWindow, "alice", 3, TimeSpan.FromHours(1));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limiter.AcquireAsync(1, cancelled.Token));
        Assert.Equal(0, factory.TotalFaults);
    }
}

/// <summary>
/// Fault injection over a real multiplexer: every script evaluation fails with the
/// <see cref="TaskCanceledException"/> the client raises on its timeout/teardown path (at once, or once
/// <c>until</c> completes); everything else reaches the real server.
/// </summary>
public class CancellingScripts : DispatchProxy
{
    private object _target = null!;
    private Task? _until;

    public static IConnectionMultiplexer Wrap(IConnectionMultiplexer multiplexer, Task? until = null) => Create<IConnectionMultiplexer>(multiplexer, until);

    private static T Create<T>(T target, Task? until)
        where T : class
    {
        var proxy = Create<T, CancellingScripts>();
        ((CancellingScripts)(object)proxy)._target = target;
        ((CancellingScripts)(object)proxy)._until = until;
        return proxy;
    }

    private static TaskCanceledException Injected() => new("injected: the client cancelled the command");

    private static async Task<RedisResult> FailAfter(Task until)
    {
        await until;
        throw Injected();
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IDatabaseAsync.ScriptEvaluateAsync))
        {
            return _until is null ? Task.FromException<RedisResult>(Injected()) : FailAfter(_until);
        }

        try
        {
            var result = targetMethod.Invoke(_target, args);
            return result is IDatabase database ? Create(database, _until) : result;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
