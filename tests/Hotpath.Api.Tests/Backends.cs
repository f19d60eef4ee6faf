using Hotpath.Testing;

namespace Hotpath.Api.Tests;

/// <summary>Every (cache server, database) pair the end-to-end tests run on.</summary>
internal static class Backends
{
    public static TheoryData<string, string> All
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var server in TestServers.Names)
            {
                foreach (var database in TestDatabase.Kinds)
                {
                    data.Add(server, database);
                }
            }

            return data;
        }
    }
}
