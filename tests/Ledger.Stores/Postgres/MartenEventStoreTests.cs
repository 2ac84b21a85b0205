using Ledger.Storage;
using Ledger.Store.Marten;

namespace Ledger.Stores.Postgres;

/// <summary>The conformance suite against Marten on a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MartenEventStoreTests(PostgresCluster cluster) : EventStoreConformance
{
    protected override async Task<IEventStore> OpenFreshAsync() =>
        await MartenEventStore.OpenAsync(await cluster.CreateDatabaseAsync());
}
