namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>
/// Fresh keys for miss cases, built before each iteration (never inside the timed calls) and removed
/// after it through the peer that wrote them, memory tier included, so nothing piles up.
/// </summary>
public sealed class MissKeys(string suite, int perIteration)
{
    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    private readonly Dictionary<Peer, string[]> _keys = [];
    private int _iteration;
    private int _next;

    /// <summary>Called before each iteration: the next batch of never-used keys for every peer.</summary>
    public void Next()
    {
        _iteration++;
        _next = 0;
        foreach (var peer in Enum.GetValues<Peer>())
        {
            var keys = new string[perIteration];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = $"{BenchRedis.KeyPrefix}{suite}:miss:{peer}:{RunId}:{_iteration}:{i}";
            }

            _keys[peer] = keys;
        }
    }

    /// <summary>The next fresh key; wraps only if a stage calls more often than the job's invocation count.</summary>
    public string Take(Peer peer)
    {
        var keys = _keys[peer];
        return keys[_next++ % keys.Length];
    }

    /// <summary>Called after each iteration: removes the keys <paramref name="peer"/> wrote.</summary>
    public void Remove(PeerSet peers, Peer peer)
    {
        if (_keys.TryGetValue(peer, out var keys))
        {
            peers.RemoveAsync(peer, keys).GetAwaiter().GetResult();
        }
    }
}
