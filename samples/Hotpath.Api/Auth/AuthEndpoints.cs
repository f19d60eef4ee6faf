using Hotpath.Api.Data;
using Hotpath.Api.Errors;
using Hotpath.Api.Throttling;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Hotpath.Api.Auth;

/// <summary><c>POST /api/auth/login</c> and <c>POST /api/auth/logout</c>.</summary>
internal static class AuthEndpoints
{
    /// <summary>Compared against when the email is unknown, so both failures take the same time.</summary>
    private static readonly User s_decoy = new() { Email = string.Empty, DisplayName = string.Empty, Role = string.Empty };

    private static readonly Lazy<string> s_decoyHash = new(() => new PasswordHasher<User>().HashPassword(s_decoy, Guid.NewGuid().ToString()));

    /// <summary>
    /// Maps the routes and returns their group. Login attempts are limited per client address by an
    /// endpoint policy, and per (email, client address) inside the handler, once the body is read.
    /// </summary>
    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth");
        group.MapPost("/login", LoginAsync).RequireRateLimiting(RateLimitPolicies.LoginPerIp);
        group.MapPost("/logout", LogoutAsync).RequireAuthorization();
        return group;
    }

    private static async Task<IResult> LoginAsync(LoginRequest request, AppDbContext db, IPasswordHasher<User> hasher, SessionStore sessions, LoginThrottle throttle, TimeProvider time, ILoggerFactory loggers, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.Email))
        {
            errors["email"] = ["The email is required."];
        }

        if (string.IsNullOrEmpty(request.Password))
        {
            errors["password"] = ["The password is required."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var logger = loggers.CreateLogger(typeof(AuthEndpoints));
        var email = request.Email!.Trim().ToLowerInvariant();

        // Before the password check, so a refused attempt costs no hashing and right or wrong guesses count alike.
        using (var lease = await throttle.AcquireAsync(email, http, cancellationToken))
        {
            if (!lease.IsAcquired)
            {
                Log.LoginThrottled(logger);
                var unavailable = lease.TryGetMetadata(HotpathRateLimitMetadata.Decision, out var decision) && decision is { IsUnavailable: true };
                return unavailable
                    ? Problems.ServiceUnavailable("Login attempts cannot be counted right now. Try again shortly.")
                    : Problems.TooManyRequests("Too many login attempts for this email from this address. Try again after the time in Retry-After.");
            }
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == email, cancellationToken);
        var verdict = hasher.VerifyHashedPassword(user ?? s_decoy, user?.PasswordHash ?? s_decoyHash.Value, request.Password!);
        if (user is null || verdict == PasswordVerificationResult.Failed)
        {
            Log.LoginRefused(logger);
            return Problems.Unauthorized("The email or password is wrong.");
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = hasher.HashPassword(user, request.Password!);
            await db.SaveChangesAsync(cancellationToken);
        }

        var ticket = await sessions.CreateAsync(new UserSession(user.Id, user.Role, time.GetUtcNow()), cancellationToken);
        if (ticket is null)
        {
            // Sessions live only in the cache server: without it nobody can stay logged in, so say so
            // plainly rather than hand out a token that no later request would accept.
            Log.SessionStoreUnavailable(logger);
            http.Response.Headers.RetryAfter = "5";
            return Problems.ServiceUnavailable("Sessions cannot be stored right now (the cache server is unreachable). Try again shortly.");
        }

        Log.LoggedIn(logger, user.Id);
        return TypedResults.Ok(new LoginResponse(ticket.Token, ticket.ExpiresAt));
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, SessionStore sessions, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Authorization already proved the header carries a live session's token.
        await sessions.RemoveAsync(BearerToken.Read(http.Request)!, cancellationToken);
        Log.LoggedOut(loggers.CreateLogger(typeof(AuthEndpoints)), SessionUser.Id(http.User));
        return TypedResults.NoContent();
    }
}
