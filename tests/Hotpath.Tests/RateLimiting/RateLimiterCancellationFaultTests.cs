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

    private static HotpathRateLimiterFactory CancellingFactory()
    {
        var server = TestServers.Garnet;
        var options = new HotpathOptions { RedisUrl = TestServers.Url(server), KeyPrefix = $"rlcancel:{Guid.NewGuid():N}" };
        var multiplexer = CancellingScripts.Wrap(TestServers.Multiplexer(server));
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
/// <see cref="TaskCanceledException"/> the client raises on its timeout/teardown path; everything else
/// reaches the real server.
/// </summary>
public class CancellingScripts : DispatchProxy
{
    private object _target = null!;

    public static IConnectionMultiplexer Wrap(IConnectionMultiplexer multiplexer) => Create<IConnectionMultiplexer>(multiplexer);

    private static T Create<T>(T target)
        where T : class
    {
        var proxy = Create<T, CancellingScripts>();
        ((CancellingScripts)(object)proxy)._target = target;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IDatabaseAsync.ScriptEvaluateAsync))
        {
            return Task.FromException<RedisResult>(new TaskCanceledException("injected: the client cancelled the command"));
        }

        try
        {
            var result = targetMethod.Invoke(_target, args);
            return result is IDatabase database ? Create(database) : result;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
