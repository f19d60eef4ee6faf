using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Hotpath.Internals;

// Tags are versions, not sets: a tag is one version key; an entry records the versions of its tags
// when it was written (read before a GetOrSet factory runs), and reads as a miss once any has changed.
// Invalidation is therefore one SET however many entries carry the tag, nothing grows per entry,
// and an invalidation that lands while a factory runs keeps the factory's result from being served.
//
// A version is a random 63-bit number, never a counter that starts at 0: a version key that is lost
// (evicted, flushed, or not yet replicated when a replica took over) is recreated with a new random
// version on the next read, which no entry recorded, so losing it makes every older entry a miss
// instead of bringing invalidated ones back. The cost is one extra pipelined SET NX on the read that
// finds the key missing (the first use of a tag, or after a loss); entries compare versions for
// equality only, so nothing else changes. Two random versions collide with probability 2^-63.
internal sealed partial class HotpathCache
{
    internal const string TagKeyPrefix = "_hotpath:tag:";

    public async ValueTask InvalidateTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ValidateTag(tag);
        cancellationToken.ThrowIfCancellationRequested();
        if (_db is null)
        {
            return;
        }

        var escaped = CacheKey.Escape(tag);
        await _protocol.RunAsync(
            new Invalidation(InvalidationKind.Tag, escaped),
            "invalidate tag",
            (Cache: this, Tag: escaped),
            static (s, ct) => s.Cache.BumpTagAsync(s.Tag, ct),
            false,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves a tag's version on the server, so every entry that recorded an older one reads as outdated.</summary>
    private async Task<bool> BumpTagAsync(string escapedTag, CancellationToken cancellationToken)
    {
        await WithCancellation(_db!.StringSetAsync(TagKeyPrefix + escapedTag, NewTagVersion()), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>A version no entry has recorded (with overwhelming probability): see the comment at the top.</summary>
    internal static string NewTagVersion() => Random.Shared.NextInt64(1, long.MaxValue).ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads the current versions of <paramref name="tags"/> as the header text <c>tag@v,tag@v</c>.</summary>
    private async Task<string> GetTagVersionsAsync(IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        var escaped = new string[tags.Count];
        for (var i = 0; i < escaped.Length; i++)
        {
            escaped[i] = CacheKey.Escape(tags[i]);
        }

        var versions = await CurrentTagVersionsAsync(escaped, cancellationToken).ConfigureAwait(false);
        var builder = new StringBuilder();
        for (var i = 0; i < escaped.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(escaped[i]).Append('@').Append(versions[i]);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The current versions of escaped tags: from the memory tier when it knows them (the backplane
    /// keeps them current, like memory entries), otherwise from the server in one pipelined round trip.
    /// </summary>
    private async ValueTask<string[]> CurrentTagVersionsAsync(string[] escapedTags, CancellationToken cancellationToken)
    {
        var versions = new string[escapedTags.Length];
        Task<RedisValue>?[]? reads = null;
        var globalBefore = _memory?.GlobalVersion ?? 0;
        for (var i = 0; i < escapedTags.Length; i++)
        {
            if (_memory is not null && _memory.TryGetTagVersion(escapedTags[i], out var known))
            {
                versions[i] = known;
                continue;
            }

            reads ??= new Task<RedisValue>?[escapedTags.Length];
            reads[i] = _db!.StringGetAsync(TagKeyPrefix + escapedTags[i]);
        }

        if (reads is null)
        {
            return versions;
        }

        foreach (var read in reads)
        {
            if (read is not null)
            {
                await WithCancellation(read, cancellationToken).ConfigureAwait(false);
            }
        }

        List<(int Index, Task<RedisValue> Read)>? created = null;
        for (var i = 0; i < reads.Length; i++)
        {
            if (reads[i] is { } read)
            {
                if (read.Result.IsNull)
                {
                    // Never read a missing version as an old one: create a new one (the first caller's wins).
                    var key = TagKeyPrefix + escapedTags[i];
                    _ = _db!.StringSetAsync(key, NewTagVersion(), when: When.NotExists, flags: CommandFlags.FireAndForget);
                    (created ??= []).Add((i, _db.StringGetAsync(key)));
                    continue;
                }

                versions[i] = read.Result.ToString();
                _memory?.StoreTagVersion(escapedTags[i], versions[i], globalBefore);
            }
        }

        if (created is not null)
        {
            foreach (var (index, read) in created)
            {
                var value = await WithCancellation(read, cancellationToken).ConfigureAwait(false);

                // Deleted again between the two commands: a version nobody holds is the safe answer.
                versions[index] = value.IsNull ? NewTagVersion() : value.ToString();
                if (!value.IsNull)
                {
                    _memory?.StoreTagVersion(escapedTags[index], versions[index], globalBefore);
                }
            }
        }

        return versions;
    }

    /// <summary>The escaped tag names of a header's <c>tag@version,…</c> text.</summary>
    private static string[] TagNames(string tagVersions)
    {
        var pairs = tagVersions.Split(',');
        for (var i = 0; i < pairs.Length; i++)
        {
            var at = pairs[i].LastIndexOf('@');
            pairs[i] = at < 0 ? pairs[i] : pairs[i][..at];
        }

        return pairs;
    }

    private static string ReadTags(ReadOnlySpan<byte> data, EntryInfo info) =>
        Encoding.ASCII.GetString(data.Slice(info.TagsStart, info.TagsLength));

    /// <summary>Whether every tag version recorded in an entry is still the tag's current version.</summary>
    private async ValueTask<bool> TagsAreCurrentAsync(string tagVersions, CancellationToken cancellationToken)
    {
        var pairs = tagVersions.Split(',');
        var names = new string[pairs.Length];
        var expected = new string[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            var at = pairs[i].LastIndexOf('@');
            if (at <= 0)
            {
                return false;
            }

            // Tags in the header are already escaped.
            names[i] = pairs[i][..at];
            expected[i] = pairs[i][(at + 1)..];
        }

        var current = await CurrentTagVersionsAsync(names, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < current.Length; i++)
        {
            if (current[i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private static void ValidateTag(string tag, string parameterName = "tag")
    {
        if (string.IsNullOrEmpty(tag))
        {
            throw new ArgumentException("A tag must be a non-empty string.", parameterName);
        }
    }

    private static void ValidateTags(IReadOnlyList<string>? tags)
    {
        if (tags is null)
        {
            return;
        }

        foreach (var tag in tags)
        {
            ValidateTag(tag, "options");
        }
    }
}
