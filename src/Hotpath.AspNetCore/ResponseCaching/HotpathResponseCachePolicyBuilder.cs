using Hotpath.AspNetCore.ResponseCaching.Internals;

namespace Hotpath.AspNetCore.ResponseCaching;

/// <summary>
/// Describes one response cache policy: how long responses live, their tags, what varies the key, and
/// whether signed-in users get entries of their own. Anything left unset falls back to
/// <see cref="HotpathResponseCacheOptions"/>. The safety rules (GET and HEAD only, no authenticated
/// request in a shared entry, no <c>Set-Cookie</c>, <c>no-store</c> or <c>private</c> response) always apply.
/// </summary>
public sealed class HotpathResponseCachePolicyBuilder
{
    private TimeSpan? _duration;
    private readonly List<string> _tags = [];
    private HashSet<string>? _queryKeys;
    private UnknownQueryKeyHandling _unknownQueryKeys = UnknownQueryKeyHandling.Bypass;
    private readonly List<string> _headerNames = [];
    private bool? _varyByHost;
    private bool _perUser;
    private int[]? _statusCodes;

    /// <summary>Keeps responses for <paramref name="duration"/>. The default is <see cref="HotpathResponseCacheOptions.DefaultDuration"/>.</summary>
    /// <param name="duration">How long a response is kept; must be positive.</param>
    public HotpathResponseCachePolicyBuilder Expire(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A response cache duration must be positive.");
        }

        _duration = duration;
        return this;
    }

    /// <summary>
    /// Stores responses under <paramref name="tags"/>: <c>ICache.InvalidateTagAsync(tag)</c> evicts them,
    /// together with the service-level entries carrying the same tag, in one round trip.
    /// </summary>
    /// <param name="tags">Non-empty tag names.</param>
    public HotpathResponseCachePolicyBuilder Tag(params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var tag in tags)
        {
            ArgumentException.ThrowIfNullOrEmpty(tag, nameof(tags));
            if (!_tags.Contains(tag, StringComparer.Ordinal))
            {
                _tags.Add(tag);
            }
        }

        return this;
    }

    /// <summary>
    /// Names the query keys the endpoint reads; they vary the key. A request with any other query key is
    /// bypassed, or keyed by it as well, as <see cref="UnknownQueryKeys"/> says. Without this call the
    /// endpoint reads no query key, so by default any request with a query bypasses the cache: callers
    /// cannot create entries by appending keys the endpoint ignores. Keys compare case-insensitively, like
    /// <c>HttpRequest.Query</c>; their order in the URL never matters.
    /// </summary>
    /// <param name="queryKeys">The query keys.</param>
    public HotpathResponseCachePolicyBuilder VaryByQuery(params string[] queryKeys)
    {
        ArgumentNullException.ThrowIfNull(queryKeys);
        _queryKeys ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in queryKeys)
        {
            ArgumentException.ThrowIfNullOrEmpty(key, nameof(queryKeys));
            _queryKeys.Add(key);
        }

        return this;
    }

    /// <summary>
    /// What a request with a query key not named by <see cref="VaryByQuery"/> (any key, when it was not
    /// called) does. The default is <see cref="UnknownQueryKeyHandling.Bypass"/>, counted in
    /// <c>hotpath.response_cache.requests</c> as a bypass with reason <c>unknown_query_key</c>;
    /// <see cref="UnknownQueryKeyHandling.Vary"/> keys the entry by every query key, which lets any
    /// caller create one entry per distinct query.
    /// </summary>
    /// <param name="handling">Bypass the cache, or vary the key by the unknown key too.</param>
    public HotpathResponseCachePolicyBuilder UnknownQueryKeys(UnknownQueryKeyHandling handling)
    {
        if (!Enum.IsDefined(handling))
        {
            throw new ArgumentOutOfRangeException(nameof(handling), handling, "Unknown handling.");
        }

        _unknownQueryKeys = handling;
        return this;
    }

    /// <summary>Varies the key by the values of request headers, for example <c>Accept</c> or <c>Accept-Language</c>.</summary>
    /// <param name="headerNames">The header names, compared case-insensitively.</param>
    public HotpathResponseCachePolicyBuilder VaryByHeader(params string[] headerNames)
    {
        ArgumentNullException.ThrowIfNull(headerNames);
        foreach (var name in headerNames)
        {
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(headerNames));
            if (!_headerNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                _headerNames.Add(name);
            }
        }

        return this;
    }

    /// <summary>Whether the host is part of the key. The default is <see cref="HotpathResponseCacheOptions.VaryByHost"/>.</summary>
    /// <param name="enabled"><see langword="false"/> to share entries between host names.</param>
    public HotpathResponseCachePolicyBuilder VaryByHost(bool enabled)
    {
        _varyByHost = enabled;
        return this;
    }

    /// <summary>
    /// Opts into per-user caching: a signed-in user's responses are cached under a key holding their id
    /// (the <see cref="HotpathResponseCacheOptions.UserIdClaimType"/> claim), so each user has their own
    /// entry and anonymous requests share one. Without this, signed-in requests are never cached.
    /// Needs <c>UseHotpathResponseCache()</c> after <c>UseAuthentication()</c>; before it, signed-in
    /// requests simply run uncached.
    /// </summary>
    public HotpathResponseCachePolicyBuilder PerUser()
    {
        _perUser = true;
        return this;
    }

    /// <summary>
    /// The status codes stored by this policy, instead of <see cref="HotpathResponseCacheOptions.CacheableStatusCodes"/>.
    /// </summary>
    /// <param name="statusCodes">Status codes between 100 and 599.</param>
    public HotpathResponseCachePolicyBuilder CacheStatusCodes(params int[] statusCodes)
    {
        ArgumentNullException.ThrowIfNull(statusCodes);
        if (statusCodes.Length == 0)
        {
            throw new ArgumentException("At least one status code is required.", nameof(statusCodes));
        }

        foreach (var status in statusCodes)
        {
            ResponseCachePolicy.ValidateStatus(status);
        }

        _statusCodes = [.. statusCodes.Distinct()];
        return this;
    }

    internal ResponseCachePolicy Build() => new()
    {
        Duration = _duration,
        Tags = [.. _tags],
        QueryKeys = _queryKeys is null ? null : new HashSet<string>(_queryKeys, StringComparer.OrdinalIgnoreCase),
        UnknownQueryKeys = _unknownQueryKeys,
        HeaderNames = [.. _headerNames.Select(static n => n.ToLowerInvariant())],
        VaryByHost = _varyByHost,
        PerUser = _perUser,
        StatusCodes = _statusCodes,
    };
}
