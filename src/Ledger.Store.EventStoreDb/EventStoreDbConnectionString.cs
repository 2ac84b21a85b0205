using System.Globalization;

namespace Ledger.Store.EventStoreDb;

public enum NodePreference
{
    Leader,
    Follower,
    Random,
    ReadOnlyReplica,
}

public sealed record EventStoreDbHost(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// A parsed esdb:// or kurrentdb:// connection string (the client-side convention of the official clients; the server never sees it):
/// <c>esdb://[user:pass@]host[:port][,host2[:port]…][?key=value&amp;…]</c>. Keys are case-insensitive and ignore '-' and '_'.
/// </summary>
public sealed record EventStoreDbConnectionString
{
    public const int DefaultPort = 2113;

    private static readonly string[] Schemes = ["esdb", "kurrentdb", "kurrent", "kdb"];

    public required IReadOnlyList<EventStoreDbHost> Hosts { get; init; }

    public string? UserName { get; init; }

    public string? Password { get; init; }

    /// <summary>Several hosts or a +discover scheme: ask the seeds' gossip for the cluster and pick a node by <see cref="NodePreference"/>.</summary>
    public bool Discover { get; init; }

    public bool Tls { get; init; } = true;

    public bool TlsVerifyCert { get; init; } = true;

    public string? TlsCaFile { get; init; }

    /// <summary>Send user:password@ even over tls=false, where anyone on the path can read them: only when the string says so.</summary>
    public bool AllowCredentialsWithoutTls { get; init; }

    /// <summary>Whether calls carry the basic-auth header: credentials given, and TLS or the explicit allowance.</summary>
    public bool SendsCredentials => UserName is not null && (Tls || AllowCredentialsWithoutTls);

    public string? ConnectionName { get; init; }

    public NodePreference NodePreference { get; init; } = NodePreference.Leader;

    public int MaxDiscoverAttempts { get; init; } = 10;

    public TimeSpan DiscoveryInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan GossipTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan? DefaultDeadline { get; init; }

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public static bool IsEventStoreDb(string location)
    {
        var colon = location.IndexOf("://", StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var scheme = location[..colon].ToLowerInvariant();
        return Schemes.Any(s => scheme == s || scheme == s + "+discover");
    }

    /// <exception cref="FormatException">The text is no valid connection string; the message says what is wrong.</exception>
    public static EventStoreDbConnectionString Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var rest = connectionString.Trim();
        var separator = rest.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || !IsEventStoreDb(rest))
        {
            throw Invalid(connectionString, "it must start with esdb://, kurrentdb://, kurrent:// or kdb:// (optionally +discover)");
        }

        var discoverScheme = rest[..separator].EndsWith("+discover", StringComparison.OrdinalIgnoreCase);
        rest = rest[(separator + 3)..];

        string? query = null;
        var questionMark = rest.IndexOf('?', StringComparison.Ordinal);
        if (questionMark >= 0)
        {
            query = rest[(questionMark + 1)..];
            rest = rest[..questionMark];
        }

        rest = rest.TrimEnd('/');
        if (rest.Contains('/', StringComparison.Ordinal))
        {
            throw Invalid(connectionString, "a path is not allowed after the hosts");
        }

        string? user = null;
        string? password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == userInfo.Length - 1)
            {
                throw Invalid(connectionString, "credentials must be user:password");
            }

            user = Uri.UnescapeDataString(userInfo[..colon]);
            password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }

        var hosts = rest.Split(',').Select(h => ParseHost(connectionString, h)).ToList();
        var result = new EventStoreDbConnectionString { Hosts = hosts, UserName = user, Password = password, Discover = discoverScheme || hosts.Count > 1 };
        result = query is null ? result : ApplySettings(connectionString, result, query);
        return result.UserName is null || result.SendsCredentials
            ? result
            : throw Invalid(connectionString, $"with tls=false the credentials would travel in plain text; use TLS, or add {AllowCredentialsWithoutTlsKey}=true to send them anyway");
    }

    public const string AllowCredentialsWithoutTlsKey = "allowCredentialsWithoutTls";

    private static EventStoreDbHost ParseHost(string connectionString, string text)
    {
        if (text.Length == 0)
        {
            throw Invalid(connectionString, "a host is missing");
        }

        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid(connectionString, $"'{text}' has an unclosed IPv6 bracket");
            }

            host = text[1..close];
            var after = text[(close + 1)..];
            if (after.Length > 0)
            {
                port = after.StartsWith(':') ? after[1..] : throw Invalid(connectionString, $"'{text}' is no host[:port]");
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon >= 0 ? text[..colon] : text;
            port = colon >= 0 ? text[(colon + 1)..] : null;
        }

        if (host.Length == 0)
        {
            throw Invalid(connectionString, $"'{text}' has no host name");
        }

        if (port is null)
        {
            return new EventStoreDbHost(host, DefaultPort);
        }

        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is > 0 and < 65536
            ? new EventStoreDbHost(host, number)
            : throw Invalid(connectionString, $"'{port}' is no port number (1-65535)");
    }

    private static EventStoreDbConnectionString ApplySettings(string connectionString, EventStoreDbConnectionString result, string query)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(connectionString, $"'{pair}' is no key=value setting");
            }

            var key = Uri.UnescapeDataString(pair[..equals]);
            var value = Uri.UnescapeDataString(pair[(equals + 1)..]);
            result = Normalize(key) switch
            {
                "tls" => result with { Tls = Bool(connectionString, key, value) },
                "tlsverifycert" => result with { TlsVerifyCert = Bool(connectionString, key, value) },
                "tlscafile" => result with { TlsCaFile = NonEmpty(connectionString, key, value) },
                "allowcredentialswithouttls" => result with { AllowCredentialsWithoutTls = Bool(connectionString, key, value) },
                "connectionname" => result with { ConnectionName = NonEmpty(connectionString, key, value) },
                "nodepreference" => result with { NodePreference = Preference(connectionString, value) },
                "maxdiscoverattempts" => result with { MaxDiscoverAttempts = Positive(connectionString, key, value) },
                "discoveryinterval" => result with { DiscoveryInterval = Milliseconds(connectionString, key, value) },
                "gossiptimeout" => result with { GossipTimeout = Milliseconds(connectionString, key, value) },
                "defaultdeadline" => result with { DefaultDeadline = Milliseconds(connectionString, key, value) },
                "keepaliveinterval" => result with { KeepAliveInterval = Milliseconds(connectionString, key, value) },
                "keepalivetimeout" => result with { KeepAliveTimeout = Milliseconds(connectionString, key, value) },
                "usercertfile" or "userkeyfile" => throw Invalid(connectionString, $"'{key}': client certificate authentication is not supported; use user:password@"),
                _ => throw Invalid(connectionString, $"unknown setting '{key}'; known: tls, tlsVerifyCert, tlsCAFile, allowCredentialsWithoutTls, connectionName, nodePreference, maxDiscoverAttempts, discoveryInterval, gossipTimeout, defaultDeadline, keepAliveInterval, keepAliveTimeout"),
            };
        }

        return result;
    }

    private static string Normalize(string key) =>
        key.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    private static bool Bool(string connectionString, string key, string value) =>
        value.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Invalid(connectionString, $"'{key}' must be true or false, not '{value}'"),
        };

    private static string NonEmpty(string connectionString, string key, string value) =>
        value.Length > 0 ? value : throw Invalid(connectionString, $"'{key}' must not be empty");

    private static int Positive(string connectionString, string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw Invalid(connectionString, $"'{key}' must be a positive whole number, not '{value}'");

    private static TimeSpan Milliseconds(string connectionString, string key, string value) =>
        TimeSpan.FromMilliseconds(Positive(connectionString, key, value));

    private static NodePreference Preference(string connectionString, string value) =>
        Normalize(value) switch
        {
            "leader" => NodePreference.Leader,
            "follower" => NodePreference.Follower,
            "random" => NodePreference.Random,
            "readonlyreplica" => NodePreference.ReadOnlyReplica,
            _ => throw Invalid(connectionString, $"nodePreference must be leader, follower, random or readOnlyReplica, not '{value}'"),
        };

    /// <summary>The message never repeats the password.</summary>
    private static FormatException Invalid(string connectionString, string reason) =>
        new($"EventStoreDB connection string \"{Redact(connectionString)}\": {reason}");

    private static string Redact(string connectionString)
    {
        var scheme = connectionString.IndexOf("://", StringComparison.Ordinal);
        var at = connectionString.LastIndexOf('@');
        if (scheme < 0 || at < scheme)
        {
            return connectionString;
        }

        var userInfo = connectionString[(scheme + 3)..at];
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? connectionString : connectionString[..(scheme + 3 + colon + 1)] + "***" + connectionString[at..];
    }

    /// <summary>The address of one node for Grpc.Net.Client: http:// without TLS, https:// with it.</summary>
    public Uri Address(EventStoreDbHost host)
    {
        var name = host.Host.Contains(':', StringComparison.Ordinal) ? $"[{host.Host}]" : host.Host;
        return new Uri($"{(Tls ? "https" : "http")}://{name}:{host.Port.ToString(CultureInfo.InvariantCulture)}");
    }
}
