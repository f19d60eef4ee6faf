namespace Hotpath.Api.Auth;

/// <summary>A new session: the token handed to the client once, and when it expires if left unused.</summary>
internal sealed record SessionTicket(string Token, DateTimeOffset ExpiresAt);
