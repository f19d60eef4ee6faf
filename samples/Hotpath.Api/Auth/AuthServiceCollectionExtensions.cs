using Hotpath.Api.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace Hotpath.Api.Auth;

/// <summary>Registers sessions held in the cache server and the authentication that reads them.</summary>
internal static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="SessionStore"/> (settings under <c>Sessions</c>), the password hasher, a real authentication
    /// handler for <c>Authorization: Bearer</c> tokens so <c>RequireAuthorization</c> and roles work, and the
    /// <see cref="AuthPolicies.Admin"/> policy.
    /// </summary>
    public static IServiceCollection AddSessionAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(SessionSettings.From(configuration));
        services.AddSingleton<SessionStore>();
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Admin, policy => policy.RequireRole(Roles.Admin));
        return services;
    }
}
