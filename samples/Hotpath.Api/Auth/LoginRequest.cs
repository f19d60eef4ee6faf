namespace Hotpath.Api.Auth;

/// <summary>The body of <c>POST /api/auth/login</c>.</summary>
internal sealed record LoginRequest(string? Email, string? Password);
