using Hotpath.Api.Auth;
using Hotpath.Api.Caching;
using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Me;

/// <summary>
/// <c>/api/me</c>: the caller's own profile. It is cached under the user's id
/// (<c>user:{id}:profile:v1</c>), never under the URL, which is the same for every user.
/// </summary>
internal static class MeEndpoints
{
    private static readonly CacheEntryOptions s_profileOptions = CacheEntryOptions.WithTtl(TimeSpan.FromMinutes(5));

    public static string ProfileKey(int userId) => CacheKey.Create($"user:{userId}:profile:v1");

    /// <summary>Maps the routes and returns their group; every route needs a session.</summary>
    public static RouteGroupBuilder MapMe(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/me").RequireAuthorization();
        group.MapGet("/", GetAsync);
        group.MapPut("/", UpdateAsync);
        return group;
    }

    private static async Task<IResult> GetAsync(HttpContext http, CachedReader reader, IDbContextFactory<AppDbContext> contexts, CancellationToken cancellationToken)
    {
        var userId = SessionUser.Id(http.User);
        var profile = await reader.GetAsync(http, ProfileKey(userId), (contexts, userId), static async (state, ct) =>
        {
            await using var db = await state.contexts.CreateDbContextAsync(ct);
            return await db.Users.AsNoTracking()
                .Where(u => u.Id == state.userId)
                .Select(u => new Profile(u.Id, u.Email, u.DisplayName, u.Role))
                .FirstOrDefaultAsync(ct);
        }, s_profileOptions, cancellationToken);
        return profile.Value is null ? Problems.NotFound("The session's user no longer exists.") : TypedResults.Ok(profile.Value);
    }

    private static async Task<IResult> UpdateAsync(ProfileUpdate update, HttpContext http, AppDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var name = update.DisplayName?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > FieldLimits.DisplayNameMaxLength)
        {
            return Problems.Validation(new Dictionary<string, string[]>
            {
                ["displayName"] = [$"The display name must be 1 to {FieldLimits.DisplayNameMaxLength} characters."],
            });
        }

        var userId = SessionUser.Id(http.User);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return Problems.NotFound("The session's user no longer exists.");
        }

        user.DisplayName = name;

        // SaveChanges deletes the cached profile after the commit (declared with the User entity in Program.cs).
        await db.SaveChangesAsync(cancellationToken);
        Log.ProfileUpdated(loggers.CreateLogger(typeof(MeEndpoints)), userId);
        return TypedResults.Ok(new Profile(user.Id, user.Email, user.DisplayName, user.Role));
    }
}
