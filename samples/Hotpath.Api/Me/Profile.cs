namespace Hotpath.Api.Me;

/// <summary>The body of <c>GET /api/me</c>, cached per user.</summary>
internal sealed record Profile(int Id, string Email, string DisplayName, string Role);
