namespace Ledger.Store.EventStoreDb.Tests.RealNode;

/// <summary>Appends on the real node of LEDGER_TEST_ESDB (through BatchAppend, which 24.10 offers); compiled only when it is set at build time, as <see cref="EventStoreDbRealNodeTests"/>.</summary>
public sealed class EventStoreDbRealNodeAppendTests : EventStoreDbAppendSuite
{
    protected override string ConnectionString => EventStoreDbRealNodeSuite.ConnectionString;
}
