using Ledger.Messaging.Hosting;

namespace Ledger.Stores;

public sealed class EventStoreDbBackendTests
{
    [Theory]
    [InlineData("esdb://admin:changeit@node1:2113?tlsVerifyCert=false")]
    [InlineData("kurrentdb://node1,node2,node3")]
    public void Esdb_and_kurrentdb_locations_name_the_eventstoredb_backend(string location) =>
        Assert.Equal(new EventStoreDbBackend(location), LedgerBackend.Parse(location));

    [Fact]
    public void An_invalid_connection_string_is_a_usage_error_that_says_why()
    {
        var error = Assert.Throws<InvalidStoreLocationException>(() => LedgerBackend.Parse("esdb://host?tls=maybe"));

        Assert.Contains("'tls' must be true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_feed_and_webhooks_are_refused_with_a_clear_message_rather_than_kept_nowhere()
    {
        var backend = LedgerBackend.Parse("esdb://127.0.0.1:2113?tls=false");

        var feed = await Assert.ThrowsAsync<InvalidStoreLocationException>(() => backend.OpenFeedAsync(CancellationToken.None));
        Assert.Contains("holds the ledger's events only", feed.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidStoreLocationException>(() => backend.OpenWebhooksAsync(CancellationToken.None));
    }
}
