namespace Hotpath.Api.Data;

/// <summary>
/// Thrown at start-up when <c>DATABASE_URL</c> is not one of the accepted forms. The message names the
/// setting and the accepted forms and never contains the value itself (it may hold a password).
/// </summary>
internal sealed class DatabaseConfigurationException(string message) : Exception(message);
