using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Stores;

namespace Ledger.Store.EventStoreDb.Tests;

public class ProtocolFakeFixture : IAsyncLifetime
{
    internal EventStoreDbProtocolFake Fake { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Fake = await EventStoreDbProtocolFake.StartAsync();

    public async Task DisposeAsync() => await Fake.DisposeAsync();
}

/// <summary>A fake node that another ledger shares: its events interleave with every append in $all.</summary>
public sealed class SharedNodeFixture : ProtocolFakeFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Fake.Log.Neighbour = "neighbour/";
    }
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

/// <summary>The conformance suite on a node another ledger shares, whose events of the same types interleave with ours in $all.</summary>
public sealed class EventStoreDbSharedNodeConformanceTests(SharedNodeFixture fixture) : EventStoreConformance, IClassFixture<SharedNodeFixture>
{
    protected override async Task<IEventStore> OpenFreshAsync() =>
        await EventStoreDbEventStore.OpenAsync(fixture.Fake.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
}
