namespace Hotpath.AspNetCore.ResponseCaching.Internals;

/// <summary>
/// Why a request did not use the response cache, or why a response was not stored: a short code for the
/// metric's <c>reason</c> label and a sentence for the log. A fixed set, so the label stays low-cardinality.
/// </summary>
internal sealed class ResponseCacheReason
{
    private ResponseCacheReason(string code, string text)
    {
        Code = code;
        Text = text;
    }

    public string Code { get; }

    public string Text { get; }

    // Requests that bypass the cache (neither looked up nor stored).
    public static readonly ResponseCacheReason Method = new("method", "the method is neither GET nor HEAD");
    public static readonly ResponseCacheReason Authenticated = new("authenticated", "the request is authenticated and the policy is not per-user");
    public static readonly ResponseCacheReason CredentialsNotAuthenticated = new("credentials_not_authenticated", "the request carries credentials that are not authenticated yet (the cache runs before authentication)");
    public static readonly ResponseCacheReason NoUserId = new("no_user_id", "the signed-in user has no user id claim");
    public static readonly ResponseCacheReason UnknownQueryKey = new("unknown_query_key", "the query has a key the policy does not name");

    // Responses that are served but not stored.
    public static readonly ResponseCacheReason Status = new("status", "the status code is not cacheable");
    public static readonly ResponseCacheReason SetCookie = new("set_cookie", "the response sets a cookie");
    public static readonly ResponseCacheReason Vary = new("vary", "the response varies by a request header the entry is not keyed by, or by everything (Vary: *)");
    public static readonly ResponseCacheReason CacheControl = new("cache_control", "the response is Cache-Control: no-store or private");
    public static readonly ResponseCacheReason TooLarge = new("too_large", "the body is larger than MaximumBodySize");
    public static readonly ResponseCacheReason AuthenticatedAfterLookup = new("authenticated_after_lookup", "the request became authenticated after the lookup");
    public static readonly ResponseCacheReason OtherUser = new("other_user", "the user is not the one the key was built for");
}
