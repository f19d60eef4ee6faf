namespace Hotpath.EntityFrameworkCore.Tests;

/// <summary>A fact that needs PostgreSQL: skipped, saying why, when <c>HOTPATH_TEST_POSTGRES</c> is unset.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TestDatabase.PostgresVariable)))
        {
            Skip = $"{TestDatabase.PostgresVariable} is not set.";
        }
    }
}
