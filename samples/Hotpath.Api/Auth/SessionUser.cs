using System.Globalization;
using System.Security.Claims;

namespace Hotpath.Api.Auth;

/// <summary>Reads the authenticated user's id from the principal the session handler built.</summary>
internal static class SessionUser
{
    public static int Id(ClaimsPrincipal user) =>
        int.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("The request is not authenticated."), CultureInfo.InvariantCulture);
}
