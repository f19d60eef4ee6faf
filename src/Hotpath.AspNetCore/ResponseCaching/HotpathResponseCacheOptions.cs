using System.Security.Claims;
using Hotpath.AspNetCore.ResponseCaching.Internals;

namespace Hotpath.AspNetCore.ResponseCaching;

/// <summary>
/// Options of Hotpath's HTTP response cache, set through <c>AddHotpath(…).AddResponseCache(o => …)</c>.
/// Every endpoint policy falls back to these for what it does not set itself.
/// </summary>
public sealed class HotpathResponseCacheOptions
{
    private readonly Dictionary<string, ResponseCachePolicy> _policies = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a response is kept when its policy sets no duration. The default is 60 seconds.</summary>
    public TimeSpan DefaultDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The largest response body, in bytes, that is stored; a larger response is served normally and
    /// not stored. The default is 1 MiB (1,048,576 bytes).
    /// </summary>
    public long MaximumBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// The response status codes that are stored when a policy names none itself. The default is 200 only.
    /// </summary>
    public ISet<int> CacheableStatusCodes { get; } = new HashSet<int> { 200 };

    /// <summary>
    /// The claim whose value identifies the user in the key of a per-user policy. A signed-in user without
    /// this claim is not cached at all. The default is <see cref="ClaimTypes.NameIdentifier"/>.
    /// </summary>
    public string UserIdClaimType { get; set; } = ClaimTypes.NameIdentifier;

    /// <summary>
    /// Whether the request's host (and port) is part of the key, so <c>a.example</c> and <c>b.example</c>
    /// never share an entry. Policies can override it. The default is <see langword="true"/>.
    /// </summary>
    public bool VaryByHost { get; set; } = true;

    /// <summary>
    /// Whether the path is compared case-sensitively, so <c>/items/ABC</c> and <c>/items/abc</c> are
    /// different entries. The default is <see langword="true"/>; set it to <see langword="false"/> only if
    /// every cached endpoint treats its path case-insensitively.
    /// </summary>
    public bool CaseSensitivePaths { get; set; } = true;

    /// <summary>
    /// Whether the cookie names of every cookie authentication scheme registered with
    /// <c>AddAuthentication().AddCookie(…)</c> (ASP.NET Core Identity included) count as authentication
    /// cookies. They are read once, at the first cached request. The default is <see langword="true"/>.
    /// </summary>
    public bool DetectAuthenticationCookies { get; set; } = true;

    /// <summary>
    /// More cookie names that mark a request as authenticated (for example a session cookie that selects
    /// per-user data). A request carrying any of them is treated like one with an <c>Authorization</c>
    /// header. The default is none besides the detected ones (see <see cref="DetectAuthenticationCookies"/>).
    /// </summary>
    public ICollection<string> AuthenticationCookieNames { get; } = new List<string>();

    /// <summary>
    /// How long a request waits for a concurrent identical request that is already running the handler,
    /// before it runs the handler itself. The default is 5 seconds.
    /// </summary>
    public TimeSpan MissWaitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The response header that says whether a cached endpoint's response came from the cache
    /// (<c>HIT</c>) or from the handler (<c>MISS</c>); <see langword="null"/> or empty sends none.
    /// The default is <c>X-Cache</c>.
    /// </summary>
    public string? CacheStatusHeaderName { get; set; } = "X-Cache";

    internal IReadOnlyDictionary<string, ResponseCachePolicy> Policies => _policies;

    /// <summary>
    /// Adds a named policy, used with <c>.CacheResponse("name")</c>, <c>[CacheResponse(PolicyName = "name")]</c>
    /// or the framework's <c>.CacheOutput("name")</c>.
    /// </summary>
    /// <param name="name">The policy's name, compared case-insensitively.</param>
    /// <param name="configure">Sets the policy up.</param>
    /// <exception cref="ArgumentException">A policy with this name already exists.</exception>
    public void AddPolicy(string name, Action<HotpathResponseCachePolicyBuilder> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new HotpathResponseCachePolicyBuilder();
        configure(builder);
        Add(name, builder.Build());
    }

    /// <summary>Adds a named policy that keeps responses for <paramref name="duration"/> under <paramref name="tags"/>.</summary>
    /// <param name="name">The policy's name, compared case-insensitively.</param>
    /// <param name="duration">How long a response is kept; must be positive.</param>
    /// <param name="tags">Tags that <c>ICache.InvalidateTagAsync</c> evicts the responses by.</param>
    /// <exception cref="ArgumentException">A policy with this name already exists.</exception>
    public void AddPolicy(string name, TimeSpan duration, params string[] tags)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Add(name, new HotpathResponseCachePolicyBuilder().Expire(duration).Tag(tags).Build());
    }

    private void Add(string name, ResponseCachePolicy policy)
    {
        if (!_policies.TryAdd(name, policy))
        {
            throw new ArgumentException($"A response cache policy named '{name}' already exists.", nameof(name));
        }
    }

    internal void Validate()
    {
        if (DefaultDuration <= TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"{nameof(HotpathResponseCacheOptions)}.{nameof(DefaultDuration)} must be positive.");
        }

        if (MaximumBodySize <= 0)
        {
            throw new HotpathConfigurationException($"{nameof(HotpathResponseCacheOptions)}.{nameof(MaximumBodySize)} must be positive.");
        }

        if (MissWaitTimeout < TimeSpan.Zero)
        {
            throw new HotpathConfigurationException($"{nameof(HotpathResponseCacheOptions)}.{nameof(MissWaitTimeout)} must not be negative.");
        }

        if (string.IsNullOrEmpty(UserIdClaimType))
        {
            throw new HotpathConfigurationException($"{nameof(HotpathResponseCacheOptions)}.{nameof(UserIdClaimType)} must be set.");
        }

        foreach (var status in CacheableStatusCodes)
        {
            ResponseCachePolicy.ValidateStatus(status);
        }
    }
}
