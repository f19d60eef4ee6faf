namespace Hotpath.Api.Data;

/// <summary>The database engines the sample runs on.</summary>
internal enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}
