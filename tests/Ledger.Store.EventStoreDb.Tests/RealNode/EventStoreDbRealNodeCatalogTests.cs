namespace Ledger.Store.EventStoreDb.Tests.RealNode;

/// <summary>The saved catalogue on the real node of LEDGER_TEST_ESDB; compiled only when it is set at build time, as <see cref="EventStoreDbRealNodeTests"/>.</summary>
public sealed class EventStoreDbRealNodeCatalogTests : EventStoreDbCatalogSuite
{
    protected override string ConnectionString => EventStoreDbRealNodeSuite.ConnectionString;
}
