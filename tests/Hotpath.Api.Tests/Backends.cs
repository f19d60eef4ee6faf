using Hotpath.Testing;

namespace Hotpath.Api.Tests;

/// <summary>Every (cache server, database) pair the end-to-end tests run on.</summary>
internal static class Backends
{
    public static TheoryData<string, string> All => Pairs(includeCluster: true);

    /// <summary>The pairs on a single server: ASP.NET Core's Redis output-cache store, compared against, takes one server only.</summary>
    public static TheoryData<string, string> SingleServer => Pairs(includeCluster: false);

    private static TheoryData<string, string> Pairs(bool includeCluster)
    {
        {
            var data = new TheoryData<string, string>();
            foreach (var server in TestServers.Names)
            {
                if (!includeCluster && server == TestServers.Cluster)
                {
                    continue;
                }

                foreach (var database in TestDatabase.Kinds)
                {
                    data.Add(server, database);
                }
            }

            return data;
        }
    }
}
