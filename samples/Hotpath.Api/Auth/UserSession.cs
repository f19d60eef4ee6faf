namespace Hotpath.Api.Auth;

/// <summary>What the session store keeps for a logged-in user (never the token itself).</summary>
internal sealed record UserSession(int UserId, string Role, DateTimeOffset CreatedAt);
