namespace Ledger.Store.EventStoreDb.Tests.RealNode;

/// <summary>Compiled only when LEDGER_TEST_ESDB is set at build time; see <see cref="EventStoreDbRealNodeSuite"/>.</summary>
public sealed class EventStoreDbRealNodeTests : EventStoreDbRealNodeSuite;
