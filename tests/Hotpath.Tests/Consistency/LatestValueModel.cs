using System.Collections.Concurrent;

namespace Hotpath.Tests.Consistency;

/// <summary>
/// The history check the consistency tests share: a model of the latest committed value of every key
/// (the source of truth a factory reads) and, per key, the value committed when its writer's last
/// invalidation returned (its floor). On the writing instance a read that returns a value below the
/// floor is a violation: the cache served something older than what a returned call had replaced.
/// </summary>
internal class LatestValueModel
{
    private long _ids;

    /// <summary>The source of truth: the latest committed value of every key.</summary>
    public ConcurrentDictionary<string, long> Database { get; } = new();

    /// <summary>Per key, the committed value when its writer's last invalidation returned.</summary>
    public ConcurrentDictionary<string, long> Floors { get; } = new();

    public ConcurrentBag<string> Violations { get; } = [];

    public long Floor(string key) => Floors.GetValueOrDefault(key);

    /// <summary>Commits a new value of <paramref name="key"/> (strictly greater than every earlier one) before the call that writes or invalidates it.</summary>
    public long Commit(string key)
    {
        var id = Interlocked.Increment(ref _ids);
        Database[key] = id;
        return id;
    }

    /// <summary>Records that an invalidation of <paramref name="key"/> returned: no later read on its writer may be older.</summary>
    public void Settle(string key) => Floors[key] = Database.GetValueOrDefault(key);

    /// <summary>Checks a read that began when the key's floor was <paramref name="floor"/>; returns whether it was a violation.</summary>
    public bool Check(string what, string key, long floor, bool found, long value)
    {
        if (found && value < floor)
        {
            Violations.Add($"{what}({key}) on its writer returned {value} after an invalidation at {floor}");
            return true;
        }

        return false;
    }
}
