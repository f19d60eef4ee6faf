using Hotpath.Internals;

namespace Hotpath.Tests;

/// <summary>
/// The memory tier's own rules, on the real tier: a value read while it was distrusted is never
/// stored once it is trusted again, and what it remembers about tags stays bounded without ever
/// reviving an entry a tag invalidated.
/// </summary>
public sealed class MemoryTierBoundsTests
{
    [Fact]
    public void AReadThatStartedWhileTheTierWasDistrustedIsNotStoredOnceItIsTrustedAgain()
    {
        var tier = new MemoryTier(new MemoryTierOptions(), TimeProvider.System);
        tier.Distrust();
        var before = tier.Snapshot("product:1:v1");
        var tagsBefore = tier.GlobalVersion;

        // The backplane comes back while the read is on the wire; invalidations published in the gap were never heard.
        tier.Trust();
        tier.Store("product:1:v1", Entry("old"), before);
        tier.StoreTagVersion("products", "5", tagsBefore);

        Assert.False(tier.TryGet("product:1:v1", TimeProvider.System.GetTimestamp(), out _), "a read that straddled the distrust was stored");
        Assert.False(tier.TryGetTagVersion("products", out _), "a tag version read that straddled the distrust was stored");
    }

    [Fact]
    public void AReadThatStartedWhileTheTierWasTrustedIsStored()
    {
        var tier = new MemoryTier(new MemoryTierOptions(), TimeProvider.System);
        var before = tier.Snapshot("product:1:v1");
        tier.Store("product:1:v1", Entry("current"), before);

        Assert.True(tier.TryGet("product:1:v1", TimeProvider.System.GetTimestamp(), out var entry));
        Assert.Equal("current", entry.Value);
    }

    [Fact]
    public void TagInvalidationsRememberedStayBoundedUnderAFloodOfDistinctTags()
    {
        var tier = new MemoryTier(new MemoryTierOptions { MaxTags = 100 }, TimeProvider.System);
        for (var i = 0; i < 20_000; i++)
        {
            tier.InvalidateTag($"tag{i}");
            tier.StoreTagVersion($"tag{i}", "1", tier.GlobalVersion);
        }

        Assert.InRange(tier.TrackedTagCount, 1, 100);
    }

    [Fact]
    public void ForgettingTagEpochsNeverRevivesAnEntryATagInvalidated()
    {
        var tier = new MemoryTier(new MemoryTierOptions { MaxTags = 2 }, TimeProvider.System);
        string[] tags = ["a"];
        var before = tier.Snapshot("row:1:v1");
        tier.Store("row:1:v1", Entry("old", tags, tier.TagEpochs(tags)), before);
        var untouched = tier.Snapshot("row:2:v1");
        tier.Store("row:2:v1", Entry("kept"), untouched);

        tier.InvalidateTag("a");

        // Two more tags overflow the bound: every epoch is forgotten, "a" included.
        tier.InvalidateTag("b");
        tier.InvalidateTag("c");

        Assert.False(tier.TryGet("row:1:v1", TimeProvider.System.GetTimestamp(), out _), "an entry invalidated by its tag came back once the tag's epoch was forgotten");
        Assert.True(tier.TryGet("row:2:v1", TimeProvider.System.GetTimestamp(), out _), "untagged entries are not affected");
    }

    [Fact]
    public void ATaggedEntryStoredAfterTheEpochsWereForgottenIsServed()
    {
        var tier = new MemoryTier(new MemoryTierOptions { MaxTags = 1 }, TimeProvider.System);
        tier.InvalidateTag("a");
        tier.InvalidateTag("b");
        string[] tags = ["a"];
        var before = tier.Snapshot("row:1:v1");
        tier.Store("row:1:v1", Entry("new", tags, tier.TagEpochs(tags)), before);

        Assert.True(tier.TryGet("row:1:v1", TimeProvider.System.GetTimestamp(), out var entry));
        Assert.Equal("new", entry.Value);
    }

    [Fact]
    public void MaxTagsBelowOneIsRejectedNamingTheSetting()
    {
        var error = Assert.Throws<HotpathConfigurationException>(() => new HotpathOptions { L1 = { MaxTags = 0 } }.Validate());
        Assert.Contains("Hotpath:L1:MaxTags", error.Message);
    }

    private static MemoryEntry Entry(string value, string[]? tags = null, long[]? epochs = null) => new()
    {
        Value = value,
        ValueType = typeof(string),
        IsPayload = false,
        ExpiresAtTimestamp = TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * 60,
        CreatedUnixMs = 0,
        LogicalExpiryUnixMs = 0,
        Tags = tags,
        TagEpochs = epochs,
        Size = 16,
    };
}
