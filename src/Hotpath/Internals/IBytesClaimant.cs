namespace Hotpath.Internals;

/// <summary>Who reads a raw payload and may store what it computes after a miss: the key's tags, and where the lease goes.</summary>
internal interface IBytesClaimant
{
    /// <summary>The tags the payload will be stored with; their versions are read with the claim.</summary>
    IReadOnlyList<string>? Tags { get; }

    /// <summary>Takes the lease of the key claimed after a miss.</summary>
    void Claimed(string key, BytesLease lease);
}
