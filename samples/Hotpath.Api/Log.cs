namespace Hotpath.Api;

/// <summary>
/// The sample's log messages; event ids 1000-1099. No message carries a token, password, email or
/// cached value: users appear by id only.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Database: {Where} (schema created now: {Created}).")]
    public static partial void DatabaseReady(ILogger logger, string where, bool created);

    [LoggerMessage(1001, LogLevel.Information, "Seeded {Products} products and {Users} users.")]
    public static partial void DatabaseSeeded(ILogger logger, int products, int users);

    [LoggerMessage(1002, LogLevel.Warning, "A demo user with role {Role} was not seeded: set {Setting} to give it a password.")]
    public static partial void DemoUserNotSeeded(ILogger logger, string role, string setting);

    [LoggerMessage(1003, LogLevel.Information, "Hotpath.Api is listening on {Url}. Try: curl -i {Url}/api/products/featured")]
    public static partial void Listening(ILogger logger, string url);

    [LoggerMessage(1010, LogLevel.Information, "User {UserId} logged in.")]
    public static partial void LoggedIn(ILogger logger, int userId);

    [LoggerMessage(1011, LogLevel.Information, "A login was refused: unknown email or wrong password.")]
    public static partial void LoginRefused(ILogger logger);

    [LoggerMessage(1012, LogLevel.Warning, "A login could not be completed: the session could not be stored (is the Redis server reachable?).")]
    public static partial void SessionStoreUnavailable(ILogger logger);

    [LoggerMessage(1013, LogLevel.Information, "User {UserId} logged out.")]
    public static partial void LoggedOut(ILogger logger, int userId);

    [LoggerMessage(1014, LogLevel.Warning, "A login attempt was refused: too many attempts for one email from one client address.")]
    public static partial void LoginThrottled(ILogger logger);

    [LoggerMessage(1020, LogLevel.Information, "Product {ProductId} created.")]
    public static partial void ProductCreated(ILogger logger, int productId);

    [LoggerMessage(1021, LogLevel.Information, "Product {ProductId} updated.")]
    public static partial void ProductUpdated(ILogger logger, int productId);

    [LoggerMessage(1022, LogLevel.Information, "Product {ProductId} deleted.")]
    public static partial void ProductDeleted(ILogger logger, int productId);

    [LoggerMessage(1030, LogLevel.Information, "User {UserId} changed their display name.")]
    public static partial void ProfileUpdated(ILogger logger, int userId);
}
