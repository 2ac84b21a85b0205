using Ledger.Storage;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// What a real 24.10 node showed where the protocol fake had differed: each test runs on the fake and, when
/// LEDGER_TEST_ESDB is set at build time, on the real node (RealNode/EventStoreDbRealNodeBehaviourTests.cs).
/// </summary>
public abstract class EventStoreDbNodeBehaviourSuite
{
    protected abstract string ConnectionString { get; }

    /// <summary>A fresh ledger on the node: a stream prefix of its own.</summary>
    protected async Task<EventStoreDbEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(ConnectionString, $"ledger-{Guid.NewGuid():N}/");

    [Fact]
    public async Task A_type_filtered_read_returns_every_event_of_its_ledger_when_another_ledgers_events_interleave()
    {
        await using var a = await OpenFreshAsync();
        await using var b = await OpenFreshAsync();

        await a.AppendAsync("m/one", 0, [TestEvents.Event("a1")]);
        await b.AppendAsync("m/one", 0, [TestEvents.Event("b1")]);
        await a.AppendAsync("m/one", 1, [TestEvents.Event("a2")]);

        var read = await TestEvents.ListAsync(a.ReadAllAsync(1, new EventFilter(Types: [TestEvents.Type])));
        Assert.Equal(["a1:1", "a2:2"], read.Select(e => $"{e.StatementId}:{e.Position}"));
    }
}

/// <summary>The node's behaviour on the protocol fake.</summary>
public sealed class EventStoreDbNodeBehaviourOnTheFakeTests(ProtocolFakeFixture fixture) : EventStoreDbNodeBehaviourSuite, IClassFixture<ProtocolFakeFixture>
{
    protected override string ConnectionString => fixture.Fake.ConnectionString;
}
