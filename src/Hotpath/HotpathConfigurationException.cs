namespace Hotpath;

/// <summary>Thrown at start-up when a Hotpath setting is missing or invalid. The message names the setting.</summary>
public sealed class HotpathConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HotpathConfigurationException()
    {
    }

    /// <summary>Creates the exception with a message naming the setting and what it accepts.</summary>
    /// <param name="message">The message.</param>
    public HotpathConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public HotpathConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
