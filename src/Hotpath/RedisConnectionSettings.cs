using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Hotpath;

/// <summary>
/// A parsed <c>REDIS_URL</c> (or <c>ConnectionStrings:&lt;name&gt;</c>): a <c>redis://</c>, <c>rediss://</c> or
/// <c>redis+cluster://</c> URL, or a StackExchange.Redis configuration string. <see cref="ToString"/> never
/// shows the password.
/// </summary>
public sealed partial class RedisConnectionSettings
{
    private const string Accepted =
        "Accepted forms: unset (embedded Garnet server), '' or 'none' (cache disabled), " +
        "redis://[user:password@]host[:port][/db], rediss://[user:password@]host[:port][/db] (TLS), " +
        "redis+cluster://[user:password@]host:port[,host:port...], a comma-separated list of redis:// nodes, " +
        "redis+sentinel://[user:password@]host:port[,host:port...]/service[/db] (a primary found through Redis Sentinel), " +
        "or a StackExchange.Redis configuration string host[:port][,host:port...][,password=...][,user=...][,ssl=true][,defaultDatabase=n]... " +
        "(every host before the options; a password holding ',' needs the URL form with %2C).";

    private const int DefaultSentinelPort = 26379;

    // Options of a configuration string whose meaning Hotpath sets from its own options.
    private static readonly string[] s_hotpathOwned = ["connectTimeout", "syncTimeout", "asyncTimeout", "responseTimeout"];

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

    /// <summary>The options a configuration string carried; null for the URL forms.</summary>
    private ConfigurationOptions? StringOptions { get; init; }

    /// <summary>The settings for an embedded server.</summary>
    internal static RedisConnectionSettings Embedded { get; } = new(RedisServerMode.Embedded);

    /// <summary>The settings for a disabled cache.</summary>
    internal static RedisConnectionSettings Disabled { get; } = new(RedisServerMode.Disabled);

    /// <summary>
    /// Parses a <c>REDIS_URL</c> value: a URL (<c>redis://</c>, <c>rediss://</c>, <c>redis+cluster://</c>, or a
    /// comma-separated list of <c>redis://</c> nodes) or a StackExchange.Redis configuration string
    /// (<c>host:port,password=…,ssl=true</c>). A value is a URL when it starts with a scheme (<c>name://</c>).
    /// </summary>
    /// <param name="url">The value; <see langword="null"/> means unset.</param>
    /// <exception cref="HotpathConfigurationException">The value is not one of the accepted forms; the message names <c>REDIS_URL</c> and them, with any password masked.</exception>
    public static RedisConnectionSettings Parse(string? url) => Parse(url, HotpathOptions.RedisUrlSetting);

    /// <summary>Parses a value of the setting <paramref name="setting"/>, which errors name.</summary>
    internal static RedisConnectionSettings Parse(string? url, string setting)
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
            var parsed = ParseOne(trimmed, "redis+cluster://".Length, allowManyHosts: true, url, setting);
            if (parsed.Database != 0)
            {
                throw Invalid(url, setting, "a cluster has only database 0");
            }

            return parsed.With(RedisServerMode.Cluster, tls: false);
        }

        if (trimmed.StartsWith("redis+sentinel://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOne(trimmed, "redis+sentinel://".Length, allowManyHosts: true, url, setting, sentinel: true);
        }

        if (!Scheme().IsMatch(trimmed))
        {
            return ParseConfigurationString(trimmed, url, setting);
        }

        // A comma is legal inside a URL's password: a list of nodes is split only where a new scheme begins.
        var nodes = NodeList().Split(trimmed);
        if (nodes.Length > 1)
        {
            var endpoints = new List<DnsEndPoint>();
            RedisConnectionSettings? first = null;
            foreach (var node in nodes)
            {
                var one = ParseSingleScheme(node.Trim(), url, setting);
                first ??= one;
                if (one.UseTls != first.UseTls)
                {
                    throw Invalid(url, setting, "every node must use the same scheme");
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

        return ParseSingleScheme(trimmed, url, setting);
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
        // A configuration string's other options (sslHost, name, keepAlive, allowAdmin, ...) apply; what
        // Hotpath's fault handling relies on is set from its own options whatever the string said.
        var config = StringOptions?.Clone() ?? new ConfigurationOptions();
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        config.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        config.SyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        config.ConnectRetry = 1;
        config.User = User;
        config.Password = Password;
        config.Ssl = UseTls;
        config.ClientName = StringOptions?.ClientName ?? "hotpath";
        if (options.SocketIOOnThreadPool)
        {
            config.SocketManager = SocketManager.ThreadPool;
        }

        // Exception texts would otherwise name the command's key, and keys can carry user input.
        config.IncludeDetailInExceptions = false;
        config.DefaultDatabase = Mode != RedisServerMode.Cluster ? Database : null;

        if (Mode == RedisServerMode.Sentinel)
        {
            // With a service name, ConnectionMultiplexer.Connect asks these sentinels for the primary,
            // connects to it and its replicas, and moves when a sentinel announces +switch-master (or
            // when the primary's connection fails and a sentinel names another one). The same user and
            // password authenticate to the sentinels and to the servers.
            config.ServiceName = ServiceName;
        }

        if (UseTls && EndPoints.Count > 0 && string.IsNullOrEmpty(config.SslHost))
        {
            config.SslHost = EndPoints[0].Host;
        }

        config.EndPoints.Clear();
        foreach (var endpoint in EndPoints)
        {
            config.EndPoints.Add(endpoint);
        }

        return config;
    }

    internal static RedisConnectionSettings ForEndPoint(string host, int port) =>
        new(RedisServerMode.Server) { EndPoints = [new DnsEndPoint(host, port)] };

    private static RedisConnectionSettings ParseSingleScheme(string value, string original, string setting)
    {
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOne(value, "redis://".Length, allowManyHosts: false, original, setting).With(RedisServerMode.Server, tls: false);
        }

        if (value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOne(value, "rediss://".Length, allowManyHosts: false, original, setting).With(RedisServerMode.Server, tls: true);
        }

        throw Invalid(original, setting, "unknown scheme");
    }

    /// <summary>
    /// A StackExchange.Redis configuration string: the hosts first, then <c>key=value</c> options, split at
    /// every ',' as StackExchange.Redis splits them. Several hosts are a cluster, as in the URL forms.
    /// </summary>
    private static RedisConnectionSettings ParseConfigurationString(string value, string original, string setting)
    {
        var hosts = new List<string>();
        var options = false;
        foreach (var part in value.Split(','))
        {
            var token = part.Trim();
            if (token.Length == 0)
            {
                continue;
            }

            var eq = token.IndexOf('=');
            if (eq < 0)
            {
                // After an option a bare word is ambiguous: most often the rest of a password that held a
                // ',', which StackExchange.Redis would take for a host (and Hotpath would then log).
                if (options)
                {
                    throw Invalid(original, setting, "every host:port must come before the options, and a password in a configuration string cannot hold ','");
                }

                hosts.Add(token);
                continue;
            }

            options = true;
            var key = token[..eq].Trim();
            if (Array.Exists(s_hotpathOwned, k => k.Equals(key, StringComparison.OrdinalIgnoreCase)))
            {
                throw Invalid(original, setting, $"{key} is not accepted: Hotpath sets the timeouts from Hotpath:ConnectTimeout and Hotpath:OperationTimeout");
            }
        }

        if (hosts.Count == 0)
        {
            throw Invalid(original, setting, "no host");
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(value);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or NotSupportedException)
        {
            // Its message may quote a value (or a piece of a password), so it is not passed on.
            throw Invalid(original, setting, "an option is not one StackExchange.Redis accepts, or its value is not valid");
        }

        if (!string.IsNullOrEmpty(parsed.ServiceName))
        {
            throw Invalid(original, setting, "serviceName (Redis Sentinel) is not supported");
        }

        if (parsed.Proxy != Proxy.None)
        {
            throw Invalid(original, setting, "proxy is not supported");
        }

        var defaultPort = parsed.Ssl ? 6380 : 6379;
        var endpoints = new List<DnsEndPoint>(hosts.Count);
        foreach (var host in hosts)
        {
            endpoints.Add(ParseHostPort(host, original, setting, defaultPort));
        }

        var database = parsed.DefaultDatabase ?? 0;
        if (database is < 0 or > 15_999)
        {
            throw Invalid(original, setting, "defaultDatabase must be a database number");
        }

        var mode = endpoints.Count > 1 ? RedisServerMode.Cluster : RedisServerMode.Server;
        if (mode == RedisServerMode.Cluster && database != 0)
        {
            throw Invalid(original, setting, "a cluster has only database 0");
        }

        return new RedisConnectionSettings(mode)
        {
            EndPoints = endpoints,
            User = string.IsNullOrEmpty(parsed.User) ? null : parsed.User,
            Password = parsed.Password,
            Database = database,
            UseTls = parsed.Ssl,
            StringOptions = parsed,
        };
    }

    private RedisConnectionSettings With(RedisServerMode mode, bool tls) =>
        new(mode) { EndPoints = EndPoints, User = User, Password = Password, Database = Database, UseTls = tls };

    private static RedisConnectionSettings ParseOne(string value, int start, bool allowManyHosts, string original, string setting, bool sentinel = false)
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
                throw Invalid(original, setting, "the user or password is not valid percent-encoding");
            }

            if (string.IsNullOrEmpty(user))
            {
                user = null;
            }
        }

        if (authority.Length == 0)
        {
            throw Invalid(original, setting, "no host");
        }

        var hosts = authority.Split(',');
        if (hosts.Length > 1 && !allowManyHosts)
        {
            throw Invalid(original, setting, "several hosts need redis+cluster:// or redis+sentinel://");
        }

        var endpoints = new List<DnsEndPoint>(hosts.Length);
        foreach (var hostPort in hosts)
        {
            endpoints.Add(ParseHostPort(hostPort.Trim(), original, setting, sentinel ? DefaultSentinelPort : 6379));
        }

        string? serviceName = null;
        if (sentinel)
        {
            var segments = path.Split('/');
            if (segments[0].Length == 0)
            {
                throw Invalid(original, setting, "a Sentinel URL needs the service name as its path: redis+sentinel://host:port/service[/db]");
            }

            if (!ServiceNamePattern().IsMatch(segments[0]))
            {
                throw Invalid(original, setting, "the Sentinel service name may hold only letters, digits, '.', '_' and '-'");
            }

            if (segments.Length > 2)
            {
                throw Invalid(original, setting, "after the Sentinel service name only a database number may follow");
            }

            serviceName = segments[0];
            path = segments.Length == 2 ? segments[1] : string.Empty;
            if (segments.Length == 2 && path.Length == 0)
            {
                throw Invalid(original, setting, "the path must be a database number");
            }
        }

        var database = 0;
        if (path.Length > 0 && !(int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) && database is >= 0 and <= 15_999))
        {
            throw Invalid(original, setting, "the path must be a database number");
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

    private static DnsEndPoint ParseHostPort(string hostPort, string original, string setting, int defaultPort)
    {
        string host;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            if (close < 0)
            {
                throw Invalid(original, setting, "an IPv6 host is missing ']'");
            }

            host = hostPort[1..close];
            var after = hostPort[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    throw Invalid(original, setting, "unexpected text after the host");
                }

                port = after[1..];
            }

            if (!IPAddress.TryParse(host, out _))
            {
                throw Invalid(original, setting, "the bracketed host is not an IPv6 address");
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            port = colon < 0 ? null : hostPort[(colon + 1)..];
            if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                throw Invalid(original, setting, "the host name is not valid");
            }
        }

        var portNumber = defaultPort;
        if (port is not null && !(int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) && portNumber is > 0 and <= 65535))
        {
            throw Invalid(original, setting, "the port must be a number from 1 to 65535");
        }

        return new DnsEndPoint(host, portNumber);
    }

    private static string FormatHost(string host) => host.Contains(':') ? "[" + host + "]" : host;

    private static HotpathConfigurationException Invalid(string original, string setting, string reason) =>
        new($"{setting} is not valid ({reason}): '{Mask(original)}'. {Accepted}");

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

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*://", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Scheme();

    [System.Text.RegularExpressions.GeneratedRegex(@",\s*(?=rediss?://)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex NodeList();

    // A secret runs to the next option StackExchange.Redis knows (or the end), not to the next "word=": a
    // password may itself hold ",word=".
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![A-Za-z])(password|pwd|user)\s*=.*?(?=,\s*(?:abortConnect|allowAdmin|asyncTimeout|channelPrefix|checkCertificateRevocation|configChannel|configCheckSeconds|connectRetry|connectTimeout|defaultDatabase|highPrioritySocketThreads|keepAlive|name|password|protocol|proxy|resolveDns|responseTimeout|serviceName|setlib|ssl|sslHost|sslProtocols|syncTimeout|tiebreaker|user|version|\$[A-Za-z]+)\s*=|$)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex KeyValueSecret();
}
