namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>The caches measured side by side. Every one talks to the same Redis.</summary>
public enum Peer
{
    /// <summary>StackExchange.Redis + System.Text.Json by hand: the floor.</summary>
    Raw,

    /// <summary>Hotpath's <c>ICache</c>, Redis only.</summary>
    Hotpath,

    /// <summary><c>IDistributedCache</c> from Microsoft.Extensions.Caching.StackExchangeRedis, with System.Text.Json.</summary>
    Distributed,

    /// <summary>HybridCache with its memory tier (L1) and the Redis <c>IDistributedCache</c> as L2.</summary>
    Hybrid,

    /// <summary>HybridCache with the memory tier switched off per entry (<c>DisableLocalCache</c>): Redis only.</summary>
    HybridL2,

    /// <summary>FusionCache with its memory tier, a Redis L2 (the <c>IDistributedCache</c> adapter, System.Text.Json) and the Redis backplane.</summary>
    Fusion,

    /// <summary>FusionCache with memory reads, memory writes and backplane notifications skipped per entry: Redis only.</summary>
    FusionL2,
}
