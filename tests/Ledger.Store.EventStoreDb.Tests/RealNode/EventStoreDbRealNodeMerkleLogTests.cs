namespace Ledger.Store.EventStoreDb.Tests.RealNode;

/// <summary>The Merkle log conformance against the real node of LEDGER_TEST_ESDB; compiled only when it is set at build time, as <see cref="EventStoreDbRealNodeTests"/>.</summary>
public sealed class EventStoreDbRealNodeMerkleLogTests : EventStoreDbMerkleLogSuite
{
    protected override string ConnectionString =>
        Environment.GetEnvironmentVariable(EventStoreDbRealNodeSuite.Variable) is { Length: > 0 } connectionString
            ? connectionString
            : throw new InvalidOperationException($"{EventStoreDbRealNodeSuite.Variable} was set when these tests were built but is not set now");
}
