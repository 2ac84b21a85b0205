using Ledger.Messaging.Hosting;
using Ledger.Store.EventStoreDb;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;

namespace Ledger.Stores;

public sealed class EventStoreDbBackendTests
{
    private static readonly LedgerBackends Backends = new LedgerBackends().AddLedgerSqlite().AddLedgerPostgres().AddLedgerEventStoreDb();

    [Theory]
    [InlineData("esdb://admin:changeit@node1:2113?tlsVerifyCert=false")]
    [InlineData("kurrentdb://node1,node2,node3")]
    public void Esdb_and_kurrentdb_locations_name_the_eventstoredb_backend(string location) =>
        Assert.Equal(new EventStoreDbBackend(location, EventStoreDbBackend.LocateState(Backends)), Backends.Parse(location));

    [Fact]
    public void An_invalid_connection_string_is_a_usage_error_that_says_why()
    {
        var error = Assert.Throws<InvalidStoreLocationException>(() => Backends.Parse("esdb://host?tls=maybe"));

        Assert.Contains("'tls' must be true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_feed_webhooks_and_leadership_live_in_the_state_store_beside_the_events()
    {
        var folder = Directory.CreateTempSubdirectory("ledger-esdb-state-").FullName;
        try
        {
            var state = Path.Combine(folder, "state.db");
            var backend = (EventStoreDbBackend)Backends.Parse("esdb://127.0.0.1:2113?tls=false") with { State = EventStoreDbBackend.LocateState(Backends, $"sqlite:{state}") };

            await using var feed = await backend.OpenFeedAsync(CancellationToken.None);
            await using var webhooks = await backend.OpenWebhooksAsync(CancellationToken.None);
            await using var leading = await backend.LeaderLock("relay").AcquireAsync(CancellationToken.None);

            Assert.True(File.Exists(state), "the feed and webhooks are kept in the state store's file");
            Assert.Equal(new SqliteBackend(state), backend.State);
            Assert.False(backend.SharedByWorkers);
            Assert.True(((EventStoreDbBackend)Backends.Parse("esdb://node") with { State = EventStoreDbBackend.LocateState(Backends, "postgres:Host=db") }).SharedByWorkers);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Another_eventstoredb_as_the_state_store_is_a_usage_error() =>
        Assert.Contains("sqlite: or postgres:", Assert.Throws<InvalidStoreLocationException>(() => EventStoreDbBackend.LocateState(Backends, "esdb://other:2113")).Message, StringComparison.Ordinal);
}
