namespace Hotpath.Api.Data;

/// <summary>A user seeded on first run. Its password comes from <see cref="PasswordSetting"/>, or in Development defaults to <c>hotpath-demo</c>.</summary>
internal sealed record DemoUser(string Email, string DisplayName, string Role, string PasswordSetting)
{
    public const string DevelopmentPassword = "hotpath-demo";

    public static readonly DemoUser[] All =
    [
        new("alice@example.com", "Alice", Roles.Admin, "Seed:AlicePassword"),
        new("bob@example.com", "Bob", Roles.User, "Seed:BobPassword"),
    ];
}
