using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Hotpath;

/// <summary>
/// A parsed <c>REDIS_URL</c>. <see cref="ToString"/> never shows the password.
/// </summary>
public sealed partial class RedisConnectionSettings
{
    private const string Accepted =
        "Accepted forms: unset (embedded Garnet server), '' or 'none' (cache disabled), " +
        "redis://[user:password@]host[:port][/db], rediss://[user:password@]host[:port][/db] (TLS), " +
        "redis+cluster://[user:password@]host:port[,host:port...], a comma-separated list of redis:// nodes, " +
        "or redis+sentinel://[user:password@]host:port[,host:port...]/service[/db] (a primary found through Redis Sentinel).";

    private const int DefaultSentinelPort = 26379;

    private RedisConnectionSettings(RedisServerMode mode)
    {
        Mode = mode;
    }

    /// <summary>What the URL chose.</summary>
    public RedisServerMode Mode { get; }

    /// <summary>The server endpoints (empty for <see cref="RedisServerMode.Embedded"/> and <see cref="RedisServerMode.Disabled"/>).</summary>
    public IReadOnlyList<DnsEndPoint> EndPoints { get; private init; } = [];

    /// <summary>The ACL user name, if any.</summary>
    public string? User { get; private init; }

    /// <summary>Whether a password was given. The password itself is not exposed.</summary>
    public bool HasPassword => Password is not null;

    /// <summary>The database number. The default is 0.</summary>
    public int Database { get; private init; }

    /// <summary>
    /// The name Redis Sentinel monitors the primary under (the <c>service</c> of
    /// <c>redis+sentinel://host:port/service</c>); <see langword="null"/> in every other mode.
    /// </summary>
    public string? ServiceName { get; private init; }

    /// <summary>Whether the connection uses TLS (<c>rediss://</c>).</summary>
    public bool UseTls { get; private init; }

    internal string? Password { get; private init; }

    /// <summary>The settings for an embedded server.</summary>
    internal static RedisConnectionSettings Embedded { get; } = new(RedisServerMode.Embedded);

    /// <summary>The settings for a disabled cache.</summary>
    internal static RedisConnectionSettings Disabled { get; } = new(RedisServerMode.Disabled);

    /// <summary>Parses a <c>REDIS_URL</c> value.</summary>
    /// <param name="url">The value; <see langword="null"/> means unset.</param>
    /// <exception cref="HotpathConfigurationException">The value is not one of the accepted forms; the message names <c>REDIS_URL</c> and them.</exception>
    public static RedisConnectionSettings Parse(string? url)
    {
        if (url is null)
        {
            return Embedded;
        }

        var trimmed = url.Trim();
        if (trimmed.Length == 0 || trimmed.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return Disabled;
        }

        if (trimmed.StartsWith("redis+cluster://", StringComparison.OrdinalIgnoreCase))
        {
            var parsed = ParseOne(trimmed, "redis+cluster://".Length, allowManyHosts: true, url);
            if (parsed.Database != 0)
            {
                throw Invalid(url, "a cluster has only database 0");
            }

            return parsed.With(RedisServerMode.Cluster, tls: false);
        }

        if (trimmed.StartsWith("redis+sentinel://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOne(trimmed, "redis+sentinel://".Length, allowManyHosts: true, url, sentinel: true);
        }

        // A comma is legal inside a URL's password: a list of nodes is split only where a new scheme begins.
        var nodes = NodeList().Split(trimmed);
        if (nodes.Length > 1)
        {
            var endpoints = new List<DnsEndPoint>();
            RedisConnectionSettings? first = null;
            foreach (var node in nodes)
            {
                var one = ParseSingleScheme(node.Trim(), url);
                first ??= one;
                if (one.UseTls != first.UseTls)
                {
                    throw Invalid(url, "every node must use the same scheme");
                }

                endpoints.AddRange(one.EndPoints);
            }

            return new RedisConnectionSettings(RedisServerMode.Cluster)
            {
                EndPoints = endpoints,
                User = first!.User,
                Password = first.Password,
                UseTls = first.UseTls,
            };
        }

        return ParseSingleScheme(trimmed, url);
    }

    /// <summary>The URL with the password replaced by <c>***</c>.</summary>
    public override string ToString()
    {
        switch (Mode)
        {
            case RedisServerMode.Embedded:
                return "embedded";
            case RedisServerMode.Disabled:
                return "none";
        }

        var scheme = Mode switch
        {
            RedisServerMode.Cluster => "redis+cluster",
            RedisServerMode.Sentinel => "redis+sentinel",
            _ => UseTls ? "rediss" : "redis",
        };
        var auth = (User, HasPassword) switch
        {
            (null, false) => string.Empty,
            (null, true) => ":***@",
            (_, false) => Uri.EscapeDataString(User) + "@",
            _ => Uri.EscapeDataString(User) + ":***@",
        };
        var hosts = string.Join(',', EndPoints.Select(static e => FormatHost(e.Host) + ":" + e.Port.ToString(CultureInfo.InvariantCulture)));
        var service = ServiceName is null ? string.Empty : "/" + ServiceName;
        var db = Database == 0 ? string.Empty : "/" + Database.ToString(CultureInfo.InvariantCulture);
        return $"{scheme}://{auth}{hosts}{service}{db}";
    }

    internal ConfigurationOptions ToConfigurationOptions(HotpathOptions options)
    {
        var config = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds,
            AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds,
            SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds,
            ConnectRetry = 1,
            User = User,
            Password = Password,
            Ssl = UseTls,
            ClientName = "hotpath",

            // Exception texts would otherwise name the command's key, and keys can carry user input.
            IncludeDetailInExceptions = false,
        };
        if (Mode != RedisServerMode.Cluster)
        {
            config.DefaultDatabase = Database;
        }

        if (Mode == RedisServerMode.Sentinel)
        {
            // With a service name, ConnectionMultiplexer.Connect asks these sentinels for the primary,
            // connects to it and its replicas, and moves when a sentinel announces +switch-master (or
            // when the primary's connection fails and a sentinel names another one). The same user and
            // password authenticate to the sentinels and to the servers.
            config.ServiceName = ServiceName;
        }

        if (UseTls && EndPoints.Count > 0)
        {
            config.SslHost = EndPoints[0].Host;
        }

        foreach (var endpoint in EndPoints)
        {
            config.EndPoints.Add(endpoint);
        }

        return config;
    }

    internal static RedisConnectionSettings ForEndPoint(string host, int port) =>
        new(RedisServerMode.Server) { EndPoints = [new DnsEndPoint(host, port)] };

    private static RedisConnectionSettings ParseSingleScheme(string value, string original)
    {
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOne(value, "redis://".Length, allowManyHosts: false, original).With(RedisServerMode.Server, tls: false);
        }

        if (value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOne(value, "rediss://".Length, allowManyHosts: false, original).With(RedisServerMode.Server, tls: true);
        }

        throw Invalid(original, "unknown scheme");
    }

    private RedisConnectionSettings With(RedisServerMode mode, bool tls) =>
        new(mode) { EndPoints = EndPoints, User = User, Password = Password, Database = Database, UseTls = tls };

    private static RedisConnectionSettings ParseOne(string value, int start, bool allowManyHosts, string original, bool sentinel = false)
    {
        var rest = value[start..];
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? string.Empty : rest[(slash + 1)..];

        string? user = null;
        string? password = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            try
            {
                if (colon < 0)
                {
                    user = Uri.UnescapeDataString(userInfo);
                }
                else
                {
                    user = colon == 0 ? null : Uri.UnescapeDataString(userInfo[..colon]);
                    password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
                }
            }
            catch (UriFormatException)
            {
                throw Invalid(original, "the user or password is not valid percent-encoding");
            }

            if (string.IsNullOrEmpty(user))
            {
                user = null;
            }
        }

        if (authority.Length == 0)
        {
            throw Invalid(original, "no host");
        }

        var hosts = authority.Split(',');
        if (hosts.Length > 1 && !allowManyHosts)
        {
            throw Invalid(original, "several hosts need redis+cluster:// or redis+sentinel://");
        }

        var endpoints = new List<DnsEndPoint>(hosts.Length);
        foreach (var hostPort in hosts)
        {
            endpoints.Add(ParseHostPort(hostPort.Trim(), original, sentinel ? DefaultSentinelPort : 6379));
        }

        string? serviceName = null;
        if (sentinel)
        {
            var segments = path.Split('/');
            if (segments[0].Length == 0)
            {
                throw Invalid(original, "a Sentinel URL needs the service name as its path: redis+sentinel://host:port/service[/db]");
            }

            if (!ServiceNamePattern().IsMatch(segments[0]))
            {
                throw Invalid(original, "the Sentinel service name may hold only letters, digits, '.', '_' and '-'");
            }

            if (segments.Length > 2)
            {
                throw Invalid(original, "after the Sentinel service name only a database number may follow");
            }

            serviceName = segments[0];
            path = segments.Length == 2 ? segments[1] : string.Empty;
            if (segments.Length == 2 && path.Length == 0)
            {
                throw Invalid(original, "the path must be a database number");
            }
        }

        var database = 0;
        if (path.Length > 0 && !(int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) && database is >= 0 and <= 15_999))
        {
            throw Invalid(original, "the path must be a database number");
        }

        return new RedisConnectionSettings(sentinel ? RedisServerMode.Sentinel : RedisServerMode.Server)
        {
            EndPoints = endpoints,
            User = user,
            Password = password,
            Database = database,
            ServiceName = serviceName,
        };
    }

    private static DnsEndPoint ParseHostPort(string hostPort, string original, int defaultPort)
    {
        string host;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            if (close < 0)
            {
                throw Invalid(original, "an IPv6 host is missing ']'");
            }

            host = hostPort[1..close];
            var after = hostPort[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    throw Invalid(original, "unexpected text after the host");
                }

                port = after[1..];
            }

            if (!IPAddress.TryParse(host, out _))
            {
                throw Invalid(original, "the bracketed host is not an IPv6 address");
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            port = colon < 0 ? null : hostPort[(colon + 1)..];
            if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw Invalid(original, "the host name is not valid");
            }
        }

        var portNumber = defaultPort;
        if (port is not null && !(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) && portNumber is > 0 and <= 65535))
        {
            throw Invalid(original, "the port must be a number from 1 to 65535");
        }

        return new DnsEndPoint(host, portNumber);
    }

    private static string FormatHost(string host) => host.Contains(':') ? "[" + host + "]" : host;

    private static HotpathConfigurationException Invalid(string original, string reason) =>
        new($"{HotpathOptions.RedisUrlSetting} is not valid ({reason}): '{Mask(original)}'. {Accepted}");

    /// <summary>
    /// Hides every credential a configuration value may carry, whatever characters it holds: everything
    /// from the first scheme (or the start) to the last '@' of the whole value, and every
    /// <c>password=</c> or <c>user=</c> value of a configuration string. It works on the text as a whole,
    /// never on comma-split pieces, since a password may hold ',' ':' '/' '@', '%' or even a scheme; an
    /// error about a list of nodes then shows only what follows the last '@'.
    /// </summary>
    internal static string Mask(string value)
    {
        var masked = KeyValueSecret().Replace(value, "$1=***");
        var at = masked.LastIndexOf('@');
        if (at >= 0)
        {
            var schemeEnd = masked.IndexOf("://", StringComparison.Ordinal);
            var start = schemeEnd < 0 || schemeEnd > at ? 0 : schemeEnd + 3;
            masked = masked[..start] + "***" + masked[at..];
        }

        return masked.Length > 200 ? masked[..200] + "..." : masked;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9._-]{1,128}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex ServiceNamePattern();

    [System.Text.RegularExpressions.GeneratedRegex(@",\s*(?=rediss?://)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex NodeList();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![A-Za-z])(password|pwd|user)\s*=.*?(?=,\s*[A-Za-z]+\s*=|$)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex KeyValueSecret();
}
