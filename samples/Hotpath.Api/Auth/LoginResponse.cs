namespace Hotpath.Api.Auth;

/// <summary>The answer to a successful login. <see cref="ExpiresAt"/> moves forward each time the token is used.</summary>
internal sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt);
