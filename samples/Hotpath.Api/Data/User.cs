namespace Hotpath.Api.Data;

/// <summary>A user row. <see cref="Email"/> is stored lower-cased and is unique.</summary>
internal sealed class User
{
    public int Id { get; set; }

    public required string Email { get; set; }

    public required string DisplayName { get; set; }

    public required string Role { get; set; }

    public string PasswordHash { get; set; } = string.Empty;
}
