namespace Hotpath.Api.Throttling;

/// <summary>The sample's limits, bound from <c>RateLimits</c> in configuration (appsettings.json).</summary>
internal sealed class RateLimitSettings
{
    public const string SectionName = "RateLimits";

    /// <summary><c>POST /api/auth/login</c>.</summary>
    public LoginRateLimits Login { get; set; } = new();

    /// <summary>Every <c>/api</c> request, per user or client address.</summary>
    public ApiRateLimits Api { get; set; } = new();
}
