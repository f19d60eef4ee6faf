namespace Hotpath.Testing;

/// <summary>
/// Tests whose leases, windows or timers are a second or two long. They run alone, after the parallel
/// tests: a flood of thousands of concurrent calls in another class can hold the thread pool's queue
/// longer than such a lease, and the test would then see a lease run out that it rightly extended.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "Timing-sensitive";
}
