namespace Ledger.Store.EventStoreDb.Tests;

public sealed class ConnectionStringTests
{
    [Fact]
    public void One_insecure_host_is_a_direct_plaintext_connection_without_credentials()
    {
        var parsed = EventStoreDbConnectionString.Parse("esdb://127.0.0.1:2113?tls=false");

        Assert.Equal([new EventStoreDbHost("127.0.0.1", 2113)], parsed.Hosts);
        Assert.Equal((false, false, (string?)null), (parsed.Tls, parsed.Discover, parsed.UserName));
        Assert.Equal(new Uri("http://127.0.0.1:2113"), parsed.Address(parsed.Hosts[0]));
    }

    [Fact]
    public void Defaults_are_tls_leader_and_port_2113()
    {
        var parsed = EventStoreDbConnectionString.Parse("kurrentdb://node1");

        Assert.Equal((true, true, NodePreference.Leader), (parsed.Tls, parsed.TlsVerifyCert, parsed.NodePreference));
        Assert.Equal(new Uri("https://node1:2113"), parsed.Address(parsed.Hosts.Single()));
    }

    [Fact]
    public void Credentials_are_url_decoded_and_several_hosts_mean_discovery()
    {
        var parsed = EventStoreDbConnectionString.Parse("esdb://admin:p%40ss%3Aword@node1:2111,node2:2112,node3?tls=true");

        Assert.Equal(("admin", "p@ss:word"), (parsed.UserName, parsed.Password));
        Assert.Equal(["node1:2111", "node2:2112", "node3:2113"], parsed.Hosts.Select(h => h.ToString()));
        Assert.True(parsed.Discover);
    }

    [Fact]
    public void Keys_are_case_insensitive_and_ignore_dashes_and_underscores()
    {
        var parsed = EventStoreDbConnectionString.Parse(
            "esdb+discover://cluster.local?TLSVerifyCert=false&tls_ca_file=%2Fcerts%2Fca.crt&connection-name=ledger%20cli&NodePreference=readOnlyReplica&gossipTimeout=2500&defaultDeadline=10000");

        Assert.True(parsed.Discover);
        Assert.False(parsed.TlsVerifyCert);
        Assert.Equal(("/certs/ca.crt", "ledger cli"), (parsed.TlsCaFile, parsed.ConnectionName));
        Assert.Equal(NodePreference.ReadOnlyReplica, parsed.NodePreference);
        Assert.Equal((TimeSpan.FromMilliseconds(2500), TimeSpan.FromSeconds(10)), (parsed.GossipTimeout, parsed.DefaultDeadline!.Value));
    }

    [Fact]
    public void IPv6_hosts_are_bracketed()
    {
        var parsed = EventStoreDbConnectionString.Parse("esdb://[::1]:2115?tls=false");

        Assert.Equal(new EventStoreDbHost("::1", 2115), parsed.Hosts.Single());
        Assert.Equal(new Uri("http://[::1]:2115"), parsed.Address(parsed.Hosts.Single()));
    }

    [Theory]
    [InlineData("postgres://host", "must start with esdb://")]
    [InlineData("esdb://", "a host is missing")]
    [InlineData("esdb://a,,b", "a host is missing")]
    [InlineData("esdb://host:99999", "'99999' is no port number")]
    [InlineData("esdb://host:abc", "'abc' is no port number")]
    [InlineData("esdb://host/db", "a path is not allowed")]
    [InlineData("esdb://admin@host", "credentials must be user:password")]
    [InlineData("esdb://host?tls=yes", "'tls' must be true or false, not 'yes'")]
    [InlineData("esdb://host?nodePreference=nearest", "nodePreference must be leader, follower, random or readOnlyReplica")]
    [InlineData("esdb://host?frobnicate=1", "unknown setting 'frobnicate'")]
    [InlineData("esdb://host?tls", "'tls' is no key=value setting")]
    [InlineData("esdb://host?userCertFile=a.crt", "client certificate authentication is not supported")]
    [InlineData("esdb://host?gossipTimeout=-5", "'gossipTimeout' must be a positive whole number")]
    public void Invalid_strings_say_what_is_wrong(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => EventStoreDbConnectionString.Parse(text));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_never_repeat_the_password()
    {
        var error = Assert.Throws<FormatException>(() => EventStoreDbConnectionString.Parse("esdb://admin:secret@host?tls=maybe"));

        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.Contains("admin:***@host", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("esdb://admin:secret@host?tls=false&allowCredentialsWithoutTls=true", true)]
    [InlineData("esdb://admin:secret@host?allowCredentialsWithoutTls=false", true)]
    [InlineData("esdb://host?tls=false", false)]
    public void Credentials_go_over_plain_text_only_when_the_string_allows_it(string text, bool sends) =>
        Assert.Equal(sends, EventStoreDbConnectionString.Parse(text).SendsCredentials);

    [Fact]
    public void Credentials_without_tls_are_refused_naming_the_option_and_not_the_password()
    {
        var error = Assert.Throws<FormatException>(() => EventStoreDbConnectionString.Parse("esdb://admin:secret@host?tls=false"));

        Assert.Contains("allowCredentialsWithoutTls=true", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("esdb://h", true)]
    [InlineData("KurrentDB+discover://h", true)]
    [InlineData("kdb://h", true)]
    [InlineData("sqlite:ledger.db", false)]
    [InlineData("postgresql://h/db", false)]
    public void Recognizes_its_schemes(string location, bool expected) =>
        Assert.Equal(expected, EventStoreDbConnectionString.IsEventStoreDb(location));
}
