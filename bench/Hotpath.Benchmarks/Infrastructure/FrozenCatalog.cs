using System.ComponentModel;

namespace Hotpath.Benchmarks.Infrastructure;

/// <summary>The ~20 KB list as a sealed, <c>[ImmutableObject(true)]</c> type (see <see cref="FrozenProduct"/>).</summary>
[ImmutableObject(true)]
public sealed class FrozenCatalog
{
    public IReadOnlyList<FrozenProduct> Items { get; init; } = [];
}
