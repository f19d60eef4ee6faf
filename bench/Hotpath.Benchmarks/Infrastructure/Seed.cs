namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>Untimed set-up helpers shared by the suites.</summary>
public static class Seed
{
    /// <summary>Writes a hot key through the peer and proves it reads back as a hit, or fails the set-up.</summary>
    public static void Hit<T>(PeerSet peers, Peer peer, string key, T value)
    {
        peers.SetAsync(peer, key, value).GetAwaiter().GetResult();
        if (!peers.ContainsAsync<T>(peer, key).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException($"{peer} does not read back the key it just wrote ({key}).");
        }
    }

    /// <summary>
    /// Records Hotpath faults that happened during a case (a swallowed timeout would make a hit look like
    /// a fast miss). Pass the count taken at the case's set-up; they are shown on the class's Hotpath rows.
    /// </summary>
    public static void CheckHotpathFaults(PeerSet peers, Type type, long faultsAtSetup)
    {
        var faults = peers.HotpathFaults - faultsAtSetup;
        if (faults > 0)
        {
            CaseLog.Unexpected(type, CaseLog.AnyHotpathMethod, "Hotpath store faults", (int)faults);
        }
    }
}
