using System.Globalization;

namespace Hotpath.Api.Auth;

/// <summary>The <c>Sessions</c> configuration section, read and checked once at start-up.</summary>
internal sealed class SessionSettings
{
    public const string IdleTimeoutSetting = "Sessions:IdleTimeout";

    /// <summary>How long an unused session lives; every authenticated request renews it. The default is 30 minutes.</summary>
    public TimeSpan IdleTimeout { get; private init; } = TimeSpan.FromMinutes(30);

    /// <exception cref="InvalidOperationException">The setting is not a positive time span; the message names it.</exception>
    public static SessionSettings From(IConfiguration configuration)
    {
        var text = configuration[IdleTimeoutSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return new SessionSettings();
        }

        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var idle) || idle <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"{IdleTimeoutSetting} must be a positive time span such as 00:30:00; it is '{text}'.");
        }

        return new SessionSettings { IdleTimeout = idle };
    }
}
