namespace Hotpath.Api.Throttling;

/// <summary>The rate limit policy names: part of the keys in the cache server and of the <c>RateLimit</c> headers.</summary>
internal static class RateLimitPolicies
{
    /// <summary>The token bucket over all of <c>/api</c>.</summary>
    public const string Api = "api";

    /// <summary>Login attempts per client address (an endpoint policy on the login route).</summary>
    public const string LoginPerIp = "login-ip";

    /// <summary>Login attempts per (email, client address), checked inside the handler once the body is read.</summary>
    public const string LoginPerEmailAndIp = "login-email-ip";
}
