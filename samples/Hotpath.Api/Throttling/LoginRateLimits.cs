namespace Hotpath.Api.Throttling;

/// <summary><c>RateLimits:Login</c>: fixed windows on login attempts, counted whether the password was right or not.</summary>
internal sealed class LoginRateLimits
{
    /// <summary>Attempts per window for one email from one client address. The default is 5.</summary>
    public int PerEmailAndIp { get; set; } = 5;

    /// <summary>Attempts per window from one client address, whatever the email. The default is 20.</summary>
    public int PerIp { get; set; } = 20;

    /// <summary>The window of both limits. The default is 1 minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
