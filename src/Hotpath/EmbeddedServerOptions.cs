namespace Hotpath;

/// <summary>Options of the embedded Garnet server started when no <c>REDIS_URL</c> is set.</summary>
public sealed class EmbeddedServerOptions
{
    /// <summary>
    /// The memory budget of the embedded server's log, in Garnet's size syntax (<c>64m</c>, <c>1g</c>).
    /// When full, the oldest-written entries are evicted. The default is <c>64m</c>.
    /// </summary>
    public string MemorySize { get; set; } = "64m";

    /// <summary>The size of the embedded server's hash index. The default is <c>16m</c>.</summary>
    public string IndexSize { get; set; } = "16m";

    /// <summary>The loopback port to listen on; 0 (the default) picks a free port.</summary>
    public int Port { get; set; }

    internal void Validate()
    {
        if (!IsSize(MemorySize))
        {
            throw new HotpathConfigurationException($"Hotpath:Embedded:MemorySize must be a size such as '64m' or '1g'; it is '{MemorySize}'.");
        }

        if (!IsSize(IndexSize))
        {
            throw new HotpathConfigurationException($"Hotpath:Embedded:IndexSize must be a size such as '16m'; it is '{IndexSize}'.");
        }

        if (Port is < 0 or > 65535)
        {
            throw new HotpathConfigurationException($"Hotpath:Embedded:Port must be between 0 and 65535; it is {Port}.");
        }
    }

    private static bool IsSize(string? value) =>
        !string.IsNullOrEmpty(value)
        && value.AsSpan(0, value.Length - 1).IndexOfAnyExceptInRange('0', '9') < 0
        && (char.IsAsciiDigit(value[^1]) || value[^1] is 'k' or 'K' or 'm' or 'M' or 'g' or 'G');
}
