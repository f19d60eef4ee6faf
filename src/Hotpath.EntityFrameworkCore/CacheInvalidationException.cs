namespace Hotpath.EntityFrameworkCore;

/// <summary>
/// Thrown after a commit when the cache could not be invalidated and
/// <see cref="HotpathEntityFrameworkCoreOptions.ThrowOnInvalidationFailure"/> is set. The changes are saved;
/// the cache may still serve the old values until their entries expire.
/// </summary>
public sealed class CacheInvalidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheInvalidationException()
        : base("The changes were saved, but the cache could not be invalidated.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CacheInvalidationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the fault that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The fault.</param>
    public CacheInvalidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
