using System.Net;
using System.Net.Sockets;
using Hotpath.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Hotpath.AspNetCore.RateLimiting.Internals;

/// <summary>Finds the client address of a request, believing forwarded-for headers only from trusted proxies.</summary>
internal sealed class ClientAddressResolver
{
    public const string Unknown = "unknown";

    public static readonly ClientAddressResolver PeerOnly = new([], "X-Forwarded-For", "X-Api-Key");

    private readonly IPNetwork[] _trusted;
    private readonly string _header;

    public ClientAddressResolver(IPNetwork[] trusted, string header, string apiKeyHeaderName)
    {
        _trusted = trusted;
        _header = header;
        ApiKeyHeaderName = apiKeyHeaderName;
    }

    public string ApiKeyHeaderName { get; }

    public static ClientAddressResolver Create(HotpathRateLimitingOptions options)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in options.TrustedProxies)
        {
            var text = entry?.Trim() ?? string.Empty;
            if (IPNetwork.TryParse(text, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(text, out var address))
            {
                address = Normalize(address);
                networks.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new HotpathConfigurationException($"{HotpathRateLimitingOptions.SectionName}:TrustedProxies has '{text}', which is neither an IP address nor a CIDR network such as 10.0.0.0/8.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ForwardedForHeaderName))
        {
            throw new HotpathConfigurationException($"{HotpathRateLimitingOptions.SectionName}:ForwardedForHeaderName must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKeyHeaderName))
        {
            throw new HotpathConfigurationException($"{HotpathRateLimitingOptions.SectionName}:ApiKeyHeaderName must not be empty.");
        }

        return new ClientAddressResolver([.. networks], options.ForwardedForHeaderName, options.ApiKeyHeaderName);
    }

    public string Resolve(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null)
        {
            return Unknown;
        }

        peer = Normalize(peer);
        if (_trusted.Length == 0 || !IsTrusted(peer))
        {
            return Format(peer);
        }

        // Walk the header right to left: each trusted hop vouches for the one before it. The first
        // untrusted address is the client; anything left of it is whatever the client chose to send.
        var client = peer;
        var lines = context.Request.Headers[_header];
        for (var line = lines.Count - 1; line >= 0; line--)
        {
            var text = lines[line].AsSpan();
            while (!text.IsEmpty)
            {
                var comma = text.LastIndexOf(',');
                var entry = text[(comma + 1)..].Trim();
                text = comma < 0 ? [] : text[..comma];
                if (entry.IsEmpty)
                {
                    continue;
                }

                if (!TryParseHop(entry, out var hop))
                {
                    // Unreadable: trust nothing further left; the last hop we could read keeps the quota.
                    return Format(client);
                }

                client = hop;
                if (!IsTrusted(hop))
                {
                    return Format(hop);
                }
            }
        }

        return Format(client);
    }

    private bool IsTrusted(IPAddress address)
    {
        foreach (var network in _trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseHop(ReadOnlySpan<char> entry, out IPAddress address)
    {
        if (IPAddress.TryParse(entry, out address!))
        {
            address = Normalize(address);
            return true;
        }

        // "1.2.3.4:5678" or "[2001:db8::1]:443"
        if (IPEndPoint.TryParse(entry, out var endPoint))
        {
            address = Normalize(endPoint.Address);
            return true;
        }

        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>An IPv4 address as is; an IPv6 address as its /64, the block one host usually holds.</summary>
    private static string Format(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
