namespace Hotpath.AspNetCore.ResponseCaching;

/// <summary>
/// What a response cache policy that names its query keys does with a request carrying a query key it
/// did not name. Neither choice ever lets two requests that differ in their query share an entry.
/// </summary>
public enum UnknownQueryKeyHandling
{
    /// <summary>The request runs normally and is neither served from nor stored into the cache.</summary>
    Bypass = 0,

    /// <summary>The unknown key and its values become part of the cache key like any named key.</summary>
    Vary = 1,
}
