using Hotpath.Internals;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Hotpath.Tests;

internal static class TestExtensions
{
    /// <summary>The raw database seen through the same prefix as <paramref name="cache"/>, to plant or inspect bytes.</summary>
    public static IDatabase WithKeyPrefixFrom(this IDatabase database, HotpathCache cache) =>
        database.WithKeyPrefix(cache.Connection.KeyPrefix);
}
