namespace Hotpath.Internals;

/// <summary>
/// A raw-payload key claimed after a miss: the head of the placeholder put in the key and the tag
/// versions read with the claim. Used once, to store or to release.
/// </summary>
internal sealed class BytesLease(string head, string? tagVersions)
{
    private int _finished;

    public string Head { get; } = head;

    public string? TagVersions { get; } = tagVersions;

    /// <summary>True the first time only: the lease is being stored or released.</summary>
    public bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;
}
