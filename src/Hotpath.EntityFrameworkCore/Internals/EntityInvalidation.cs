namespace Hotpath.EntityFrameworkCore.Internals;

/// <summary>What a write of one declared CLR type invalidates.</summary>
internal sealed class EntityInvalidation(Type clrType)
{
    public Type ClrType { get; } = clrType;

    /// <summary>Tags invalidated by every write, bulk operations included.</summary>
    public List<string> Tags { get; } = [];

    /// <summary>Tags built from an entity.</summary>
    public List<Func<object, string>> EntityTags { get; } = [];

    /// <summary>Keys built from an entity.</summary>
    public List<Func<object, string>> Keys { get; } = [];
}
