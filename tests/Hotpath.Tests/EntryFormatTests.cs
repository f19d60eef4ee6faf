using System.Text;
using Hotpath.Internals;
using Hotpath.Testing;
using StackExchange.Redis;

namespace Hotpath.Tests;

/// <summary>Entries written by the codec keep their payload bytes through every entry script, on every server.</summary>
public sealed class EntryFormatTests
{
    public static TheoryData<string> Servers => TestServers.Names;

    private static readonly byte[][] Payloads = BuildPayloads();

    private static byte[][] BuildPayloads()
    {
        var large = new byte[1024 * 1024];
        new Random(16).NextBytes(large);
        return
        [
            Encoding.UTF8.GetBytes("\"width l=100 and l=x9 end\""),
            Encoding.UTF8.GetBytes("H1 l=ABC e=1 t=x@1\nH1 l=DEF\n l=100"),
            [0, (byte)'\n', 0, (byte)' ', (byte)'l', (byte)'=', (byte)'9', 0, (byte)'\n'],
            [],
            large,
        ];
    }

    private static byte[] Entry(byte[] payload, long expiryUnixMs)
    {
        using var writer = PooledBufferWriter.Rent();
        EntryCodec.WriteHeader(writer, "tag@3", 1_000, expiryUnixMs, generation: 1_733_200_000_123_456, copyOnRead: true, keepOnReset: true);
        payload.CopyTo(writer.GetSpan(payload.Length));
        writer.Advance(payload.Length);
        return writer.ToArray();
    }

    [Fact]
    public void EveryHeaderFieldTheCodecWritesReadsBack()
    {
        var stored = Entry("{}"u8.ToArray(), 5_000);
        Assert.True(EntryCodec.TryParse(stored, out var info));
        Assert.Equal(1_733_200_000_123_456, info.Generation);
        Assert.True(info.KeepOnReset);
        Assert.True(info.CopyOnRead);
        Assert.False(info.SkipMemoryTier);
        Assert.Equal(1_000, info.CreatedUnixMs);
        Assert.Equal(5_000, info.LogicalExpiryUnixMs);
        Assert.Equal("tag@3", Encoding.ASCII.GetString(stored, info.TagsStart, info.TagsLength));
        Assert.Equal("{}"u8.ToArray(), stored[info.PayloadOffset..]);

        // A header without a generation is generation 0: older than any the server hands out.
        Assert.True(EntryCodec.TryParse(Encoding.ASCII.GetBytes("H1 c=1 e=2\nx"), out var plain));
        Assert.Equal(0, plain.Generation);
        Assert.False(plain.KeepOnReset);
    }

    private static byte[] PayloadOf(byte[] stored)
    {
        Assert.True(EntryCodec.TryParse(stored, out var info));
        return stored[info.PayloadOffset..];
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ARefreshClaimAndItsReleaseLeaveEveryPayloadByteInPlace(string server)
    {
        var db = TestServers.Multiplexer(server).GetDatabase();
        var key = TestServers.UniquePrefix(nameof(ARefreshClaimAndItsReleaseLeaveEveryPayloadByteInPlace));
        foreach (var payload in Payloads)
        {
            var original = Entry(payload, Now + 60_000);
            await db.StringSetAsync(key, original, TimeSpan.FromMinutes(1));
            var head = EntryCodec.LeaseHead("0123456789ABCDEF01234567");

            var claimed = await db.ScriptEvaluateAsync(EntryScripts.Claim, [key], [head, 10_000, Now, "refresh"]);
            Assert.Equal(ResultType.Array, claimed.Resp2Type);
            Assert.Equal(original, (byte[]?)((RedisResult[])claimed!)[0]);

            var placeholder = (byte[])(await db.StringGetAsync(key))!;
            Assert.True(EntryCodec.TryParse(placeholder, out var info));
            Assert.True(info.IsLease);
            Assert.True(info.CopyOnRead);
            Assert.Equal(payload, placeholder[info.PayloadOffset..]);

            Assert.Equal(1, (long)await db.ScriptEvaluateAsync(EntryScripts.Release, [key], [head]));
            Assert.Equal(original, (byte[])(await db.StringGetAsync(key))!);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AClaimOfAnExpiredEntryCarriesItsPayloadAndTheLeasedStoreWritesTheNewOneVerbatim(string server)
    {
        var db = TestServers.Multiplexer(server).GetDatabase();
        var key = TestServers.UniquePrefix(nameof(AClaimOfAnExpiredEntryCarriesItsPayloadAndTheLeasedStoreWritesTheNewOneVerbatim));
        foreach (var payload in Payloads)
        {
            await db.StringSetAsync(key, Entry(payload, Now - 1), TimeSpan.FromMinutes(1));
            var head = EntryCodec.LeaseHead("FEDCBA9876543210FEDCBA98");

            var claimed = await db.ScriptEvaluateAsync(EntryScripts.Claim, [key], [head, 10_000, Now, "get"]);
            Assert.Equal(ResultType.Array, claimed.Resp2Type);
            Assert.Equal(payload, PayloadOf((byte[])(await db.StringGetAsync(key))!));

            // A reader that finds the placeholder gets it back whole, payload included.
            var seen = await db.ScriptEvaluateAsync(EntryScripts.Claim, [key], [EntryCodec.LeaseHead("AAAA"), 10_000, Now, "get"]);
            Assert.Equal(payload, PayloadOf((byte[])seen!));

            var replacement = Entry(payload, Now + 60_000);
            Assert.Equal(1, (long)await db.ScriptEvaluateAsync(EntryScripts.StoreIfLeased, [key], [head, replacement, 60_000]));
            Assert.Equal(replacement, (byte[])(await db.StringGetAsync(key))!);
            Assert.Equal(0, (long)await db.ScriptEvaluateAsync(EntryScripts.Release, [key], [head]));
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AClaimOfAnAbsentKeyIsReleasedByDeletingIt(string server)
    {
        var db = TestServers.Multiplexer(server).GetDatabase();
        var key = TestServers.UniquePrefix(nameof(AClaimOfAnAbsentKeyIsReleasedByDeletingIt));
        var head = EntryCodec.LeaseHead("00112233445566778899AABB");

        var claimed = await db.ScriptEvaluateAsync(EntryScripts.Claim, [key], [head, 10_000, Now, "get"]);
        Assert.True(claimed.IsNull);
        Assert.True(EntryCodec.TryParse((byte[])(await db.StringGetAsync(key))!, out var info) && info.IsLease);

        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(EntryScripts.Release, [key], [head]));
        Assert.False(await db.KeyExistsAsync(key));
    }
}
