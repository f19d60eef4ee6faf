namespace Hotpath.Internals;

/// <summary>One factory run shared by every concurrent caller that missed the same key in this process.</summary>
internal abstract class InFlight
{
    /// <summary>The tags of the entry the run computes, so a tag invalidation can detach it.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>How many callers wait for the run now (tests use it to know a stampede has gathered).</summary>
    public abstract int Waiters { get; }
}

internal sealed class InFlight<T> : InFlight
{
    private readonly CancellationTokenSource _cancellation = new();
    private int _waiters;

    public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled when every waiter has given up, so the factory stops too.</summary>
    public CancellationToken FactoryToken => _cancellation.Token;

    public override int Waiters => Volatile.Read(ref _waiters);

    /// <summary>Adds a waiter; false when the run was already abandoned by all earlier waiters.</summary>
    public bool TryJoin()
    {
        lock (this)
        {
            if (_cancellation.IsCancellationRequested)
            {
                return false;
            }

            _waiters++;
            return true;
        }
    }

    public void Leave(bool cancelled)
    {
        lock (this)
        {
            _waiters--;
            if (cancelled && _waiters == 0 && !Completion.Task.IsCompleted)
            {
                _cancellation.Cancel();
            }
        }
    }
}
