using Hotpath.Testing;

namespace Hotpath.Api.Tests.Consistency;

/// <summary>
/// The consistency tests load the machine on purpose (many concurrent requests while a server is
/// broken): they run alone, after the other tests, so neither disturbs the other's timing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsistencyCollection
{
    public const string Name = "Consistency";
}

/// <summary>A theory that starts its own redis-server; skipped where none is installed.</summary>
internal sealed class RedisServerTheoryAttribute : TheoryAttribute
{
    public RedisServerTheoryAttribute()
    {
        if (RedisProcess.Binary is null)
        {
            Skip = RedisServerFactAttribute.MissingReason;
        }
    }
}
