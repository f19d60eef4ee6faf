namespace Hotpath.Api.Auth;

/// <summary>Authorization policy names.</summary>
internal static class AuthPolicies
{
    /// <summary>Requires a session whose user has the admin role.</summary>
    public const string Admin = "admin";
}
