namespace Hotpath.Api.Me;

/// <summary>The body of <c>PUT /api/me</c>.</summary>
internal sealed record ProfileUpdate(string? DisplayName);
