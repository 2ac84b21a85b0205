using Ledger.Messaging.ReadModels;
using Ledger.Projections.ReadModels;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Store.Sqlite;
using Ledger.Stores;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// The read models of an EventStoreDB ledger (the protocol fake's), projected into a SQLite state store: the shared
/// read-model conformance, and a worker's projector that resumes from its saved position.
/// </summary>
public sealed class EventStoreDbReadModelTests : ReadModelConformance, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-read-models-").FullName;
    private EventStoreDbProtocolFake? fake;

    public async Task InitializeAsync() => fake = await EventStoreDbProtocolFake.StartAsync();

    public async Task DisposeAsync()
    {
        await fake!.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    protected override async Task<IEventStore> OpenFreshAsync()
    {
        var events = await EventStoreDbEventStore.OpenAsync(fake!.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
        var writer = await SqliteReadModelWriter.OpenAsync(Path.Combine(directory, $"{Guid.NewGuid():N}.state.db"));
        return new WithReadModels(events, new ProjectedReadModels(events, writer));
    }

    protected override Task RebuildAsync(IEventStore store) => store.Feature<IRebuildsReadModels>()!.RebuildReadModelsAsync(null);

    [Fact]
    public async Task A_worker_projector_resumes_from_its_saved_position()
    {
        await using IEventStore events = await EventStoreDbEventStore.OpenAsync(fake!.ConnectionString, $"ledger-{Guid.NewGuid():N}/");
        var statePath = Path.Combine(directory, "worker.state.db");
        await ImportAsync(events, Now, File.ReadAllText(Ledger.Testing.Checkout.SampleFile));
        await using (var writer = await SqliteReadModelWriter.OpenAsync(statePath))
        {
            await ProjectUntilAsync(events, writer, await events.LastPositionAsync());
            Assert.Equal(8, await writer.PositionAsync());
        }

        // Recorded while no projector runs: the next one starts after the saved position.
        await ImportAsync(events, Now.AddMinutes(1),
            """{"matter":"acme/one","organization":"Acme","title":"One","statements":[{"id":"p-1","type":"DisclosurePromised","publishedAt":"2025-08-01","source":{"url":"https://example.org/p"},"quote":"We will.","promise":{"id":"audit","what":"the audit","dueBy":"2025-10-01"}}]}""");
        await using (var writer = await SqliteReadModelWriter.OpenAsync(statePath))
        {
            await ProjectUntilAsync(events, writer, await events.LastPositionAsync());
            Assert.Equal(10, await writer.PositionAsync());
            await AssertEqualsPureAsync(events, writer.Reader);
        }
    }

    private static async Task ProjectUntilAsync(IEventStore store, SqliteReadModelWriter models, long position)
    {
        using var stop = new CancellationTokenSource();
        var run = new ProjectReadModels(store, models).RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await models.PositionAsync() < position)
        {
            Assert.False(run.IsFaulted, run.Exception?.ToString());
            Assert.True(DateTime.UtcNow < deadline, $"the projection reached {await models.PositionAsync()} of {position} within 30 s");
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    /// <summary>The node's events with read models beside them, as the EventStoreDB backend opens them.</summary>
    private sealed class WithReadModels(IEventStore events, ProjectedReadModels readModels) : DelegatingEventStore(events)
    {
        public override T? Feature<T>()
            where T : class => readModels as T ?? base.Feature<T>();

        protected override async ValueTask DisposeCoreAsync()
        {
            await readModels.DisposeAsync();
            await base.DisposeCoreAsync();
        }
    }
}
