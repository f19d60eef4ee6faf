using System.Threading.RateLimiting;
using Hotpath.AspNetCore.RateLimiting;
using Hotpath.RateLimiting;
using Microsoft.Extensions.Options;

namespace Hotpath.Api.Throttling;

/// <summary>
/// The per-(email, client address) login limit. The email is only known once the body is read, so the
/// login handler asks here rather than through an endpoint policy; the decision's <c>RateLimit</c> and
/// <c>Retry-After</c> headers are added to the response by Hotpath all the same.
/// </summary>
internal sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public LoginThrottle(HotpathRateLimiterFactory factory, IOptions<RateLimitSettings> settings)
    {
        var login = settings.Value.Login;
        _limiter = factory.CreatePartitionedFixedWindowLimiter(
            RateLimitPolicies.LoginPerEmailAndIp,
            new HotpathFixedWindowRateLimiterOptions { PermitLimit = login.PerEmailAndIp, Window = login.Window });
    }

    /// <summary>One attempt for the (already normalised) email from this request's client; one round trip.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(string email, HttpContext http, CancellationToken cancellationToken) =>
        _limiter.AcquireAsync(CacheKey.Join(email, HotpathPartitionKeys.ClientIp(http)), 1, cancellationToken);

    public void Dispose() => _limiter.Dispose();
}
