namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>Keys and tags to invalidate together, without duplicates.</summary>
internal sealed class InvalidationSet
{
    public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Tags { get; } = new(StringComparer.Ordinal);

    /// <summary>How many declared keys or tags threw while being built for these writes.</summary>
    public int BuilderFailures { get; set; }

    public bool IsEmpty => Keys.Count == 0 && Tags.Count == 0;

    public void UnionWith(InvalidationSet other)
    {
        Keys.UnionWith(other.Keys);
        Tags.UnionWith(other.Tags);
        BuilderFailures += other.BuilderFailures;
    }

    public InvalidationSet Copy()
    {
        var copy = new InvalidationSet();
        copy.UnionWith(this);
        return copy;
    }

    /// <summary>Moves the contents into a new set and empties this one.</summary>
    public InvalidationSet Take()
    {
        var taken = Copy();
        Keys.Clear();
        Tags.Clear();
        BuilderFailures = 0;
        return taken;
    }
}
