using Ledger.Storage;
using Ledger.Store.Marten;
using Npgsql;

namespace Ledger.Stores.Postgres;

/// <summary>The conformance suite against Marten on a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MartenEventStoreTests(PostgresCluster cluster) : EventStoreConformance
{
    protected override async Task<IEventStore> OpenFreshAsync() =>
        await MartenEventStore.OpenAsync(await cluster.CreateDatabaseAsync());

    [Fact]
    public void Its_connections_prepare_the_statements_they_repeat_unless_the_connection_string_says_how_many()
    {
        var prepared = new NpgsqlConnectionStringBuilder(MartenEventStore.WithAutoPrepare("Host=db;Database=ledger;Username=u"));
        Assert.True(prepared.MaxAutoPrepare > 0);
        Assert.Equal(("db", "ledger", "u"), (prepared.Host, prepared.Database, prepared.Username));

        Assert.Equal(0, new NpgsqlConnectionStringBuilder(MartenEventStore.WithAutoPrepare("Host=db;Max Auto Prepare=0")).MaxAutoPrepare);
        Assert.Equal(5, new NpgsqlConnectionStringBuilder(MartenEventStore.WithAutoPrepare("Host=db;maxautoprepare=5")).MaxAutoPrepare);
    }
}
