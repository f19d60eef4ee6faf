namespace Hotpath.Api.Data;

/// <summary>The role names users carry.</summary>
internal static class Roles
{
    public const string Admin = "admin";

    public const string User = "user";
}
