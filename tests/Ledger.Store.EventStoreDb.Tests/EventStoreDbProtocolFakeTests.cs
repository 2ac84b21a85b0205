using Ledger.Storage;
using Ledger.Store.EventStoreDb.Tests.ProtocolFake;
using Ledger.Stores;

namespace Ledger.Store.EventStoreDb.Tests;

public sealed class ProtocolFakeFixture : IAsyncLifetime
{
    internal EventStoreDbProtocolFake Fake { get; private set; } = null!;

    public async Task InitializeAsync() => Fake = await EventStoreDbProtocolFake.StartAsync();

    public async Task DisposeAsync() => await Fake.DisposeAsync();
}

/// <summary>
/// The conformance suite against the client talking to the protocol fake: shows the client handles the protocol as the
/// notes describe. One fake node serves every test; each store is a fresh ledger (its own stream prefix), so the ledgers'
/// events interleave in $all as on a shared real node.
/// </summary>
public sealed class EventStoreDbProtocolFakeTests(ProtocolFakeFixture fixture) : EventStoreConformance, IClassFixture<ProtocolFakeFixture>
{
    protected override async Task<IEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(fixture.Fake.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
}
