using Ledger.Messaging.Hosting;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.ProtocolFake;
using Ledger.Store.Marten;
using Ledger.Store.Sqlite;
using Ledger.Stores.Postgres;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>
/// The ledger's catalogue kept in a SQLite state store: a reopened ledger answers from it and from what was appended
/// since, and a state keeps the catalogue of one log only. Runs on the fake and, when LEDGER_TEST_ESDB is set at build
/// time, on the real node (RealNode/EventStoreDbRealNodeCatalogTests.cs).
/// </summary>
public abstract class EventStoreDbCatalogSuite : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-catalog-").FullName;

    protected abstract string ConnectionString { get; }

    /// <summary>A state store of its own for one test's ledger: a SQLite file unless a suite keeps it elsewhere.</summary>
    protected virtual Task<LedgerBackend> FreshStateAsync() =>
        Task.FromResult<LedgerBackend>(new SqliteBackend(Path.Combine(directory, $"{Guid.NewGuid():N}.state.db")));

    protected async Task<EventStoreDbBackend> FreshBackendAsync() =>
        new(ConnectionString, await FreshStateAsync()) { StreamPrefix = $"ledger-{Guid.NewGuid():N}/" };

    [Fact]
    public async Task A_reopened_ledger_knows_positions_streams_and_statements_saved_before_and_appended_since()
    {
        var backend = await FreshBackendAsync();
        await using (var store = await backend.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);
            await store.AppendAsync("m/two", 0, [TestEvents.Event("s3") with { Organization = "Beta" }]);
        }

        // Appended by a writer that keeps no catalogue: the reopened one learns these from $all.
        await using (var other = await EventStoreDbEventStore.OpenAsync(ConnectionString, backend.StreamPrefix))
        {
            await other.AppendAsync("m/one", 2, [TestEvents.Event("s4") with { Organization = "Acme Renamed" }]);
            await other.AppendAsync("m/three", 0, [TestEvents.Event("s5")]);
        }

        await using var reopened = await backend.OpenStoreAsync(CancellationToken.None);
        Assert.Equal(["s1:1", "s2:2", "s3:3", "s4:4", "s5:5"], await ListAsync(reopened.ReadAllAsync()));
        Assert.Equal(["s3:3", "s4:4", "s5:5"], await ListAsync(reopened.ReadAllAsync(3)));
        Assert.Equal(["s3:3"], await ListAsync(reopened.ReadAllAsync(1, new EventFilter(Matters: ["m/two"]))));
        Assert.Equal(["s1:1", "s2:2", "s4:4"], await ListAsync(reopened.ReadStreamAsync("m/one")));
        Assert.Equal(
            ["m/one Acme 3", "m/three Acme 1", "m/two Beta 1"],
            (await reopened.ListStreamsAsync()).Select(s => $"{s.Stream} {s.Organization} {s.Version}"));
        var found = await reopened.FindStatementsAsync(["s2", "s5", "nope"]);
        Assert.Equal(["s2:2", "s5:5"], found.Values.OrderBy(e => e.Position).Select(e => $"{e.StatementId}:{e.Position}"));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => reopened.AppendAsync("m/four", 0, [TestEvents.Event("s1")]));
        var appended = await reopened.AppendAsync("m/two", 1, [TestEvents.Event("s6")]);
        Assert.Equal((6, 6), (appended.FirstPosition, appended.LastPosition));
    }

    [Fact]
    public async Task A_state_keeping_the_catalogue_of_one_ledger_refuses_another()
    {
        var first = await FreshBackendAsync();
        await using (var store = await first.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
        }

        var another = first with { StreamPrefix = $"ledger-{Guid.NewGuid():N}/" };
        await using (var events = await EventStoreDbEventStore.OpenAsync(ConnectionString, another.StreamPrefix))
        {
            await events.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
        }

        var refused = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => another.OpenStoreAsync(CancellationToken.None));
        Assert.Contains("it is another log", refused.Message, StringComparison.Ordinal);
        await using var reopened = await first.OpenStoreAsync(CancellationToken.None);
        Assert.Equal(["s1:1"], await ListAsync(reopened.ReadAllAsync()));
    }

    [Theory]
    [InlineData(1_000_000, "the node's ledger now ends before it")]
    [InlineData(1, "has lost writes the state had seen")]
    public async Task A_saved_mark_the_node_has_no_event_at_is_refused_as_lost_writes_not_read_on(int positionAhead, string said)
    {
        var backend = await FreshBackendAsync();
        await using (var store = await backend.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);
        }

        // As the state of a node that had more (past its end) or other records (inside one of its records) there.
        await ExecuteOnStateAsync(backend, $"UPDATE {{0}}esdb_catalog SET commit_position = commit_position + {positionAhead}, prepare_position = prepare_position + {positionAhead}");

        var refused = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => backend.OpenStoreAsync(CancellationToken.None));
        Assert.Contains(said, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"ledger {backend.StreamPrefix} through its event 2 (matter m/one version 2", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs SQL on the state's catalogue tables; {0} is where their schema goes.</summary>
    protected static async Task ExecuteOnStateAsync(EventStoreDbBackend backend, string sql)
    {
        switch (((IStateBackend)backend.State).Location)
        {
            case StateFile file:
                await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file.Path};Pooling=false"))
                {
                    await connection.OpenAsync();
                    await using var command = connection.CreateCommand();
                    command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, string.Empty);
                    await command.ExecuteNonQueryAsync();
                }

                break;
            case StateDatabase database:
                await using (var source = Npgsql.NpgsqlDataSource.Create(database.ConnectionString))
                await using (var command = source.CreateCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, database.Schema + ".")))
                {
                    await command.ExecuteNonQueryAsync();
                }

                break;
            default:
                throw new InvalidOperationException("the catalogue is kept in SQLite or PostgreSQL");
        }
    }

    protected static async Task<List<string>> ListAsync(IAsyncEnumerable<StoredEvent> events) =>
        [.. (await TestEvents.ListAsync(events)).Select(e => $"{e.StatementId}:{e.Position}")];

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The catalogue on a fake node that another ledger shares, so that foreign events interleave with every append.</summary>
public sealed class EventStoreDbCatalogOnTheFakeTests(SharedNodeFixture fixture) : EventStoreDbCatalogOnTheFakeSuite(fixture);

/// <summary>The same, with the catalogue in a PostgreSQL state, which every worker and server of the ledger shares.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventStoreDbCatalogInPostgresTests(SharedNodeFixture fixture, PostgresCluster cluster) : EventStoreDbCatalogOnTheFakeSuite(fixture)
{
    protected override async Task<LedgerBackend> FreshStateAsync() => new PostgresBackend(await cluster.CreateDatabaseAsync());
}

public abstract class EventStoreDbCatalogOnTheFakeSuite(SharedNodeFixture fixture) : EventStoreDbCatalogSuite, IClassFixture<SharedNodeFixture>
{
    protected override string ConnectionString => fixture.Fake.ConnectionString;

    [Fact]
    public async Task A_warm_open_reads_only_the_events_appended_after_the_saved_catalogue()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        fake.Log.Neighbour = "neighbour/";
        var backend = new EventStoreDbBackend(fake.ConnectionString, await FreshStateAsync());
        await using (var store = await backend.OpenStoreAsync(CancellationToken.None))
        {
            // More than a page of the catalogue's reads, and more than it keeps in memory before saving.
            for (var i = 0; i < 25; i++)
            {
                await store.AppendAsync($"m/{i % 5}", i / 5 * 100, [.. Enumerable.Range(0, 100).Select(j => j == 0 ? TestEvents.Event($"s{i}") : TestEvents.Event("unused") with { StatementId = null })]);
            }
        }

        await using (var other = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, backend.StreamPrefix))
        {
            await other.AppendAsync("m/new", 0, [TestEvents.Event("late-1"), TestEvents.Event("late-2"), TestEvents.Event("late-3")]);
        }

        var before = fake.Node.EventsReadFromAll;
        await using var reopened = await backend.OpenStoreAsync(CancellationToken.None);
        var read = fake.Node.EventsReadFromAll - before;

        // The ledger's first event (its origin), the saved last one (checked to be still there, then again as reads are inclusive) and the three since.
        Assert.Equal(1 + 1 + 1 + 3, read);
        Assert.Equal(2503, await reopened.LastPositionAsync());
        Assert.Equal(["s24:2401", "late-1:2501"], (await reopened.FindStatementsAsync(["s24", "late-1"])).Values.OrderBy(e => e.Position).Select(e => $"{e.StatementId}:{e.Position}"));
        Assert.Equal(["late-3:2503"], await ListAsync(reopened.ReadAllAsync(2503)));
    }

    [Fact]
    public async Task A_node_that_lost_its_latest_writes_is_refused_as_a_store_failure_and_so_is_one_written_again_at_the_same_positions()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var backend = new EventStoreDbBackend(fake.ConnectionString, await FreshStateAsync());
        await using (var store = await backend.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
            await store.AppendAsync("m/one", 1, [TestEvents.Event("s2"), TestEvents.Event("s3")]);
        }

        // A failover that truncates the log: the last append (its two statement-id reservations and its two events) is gone.
        var lost = fake.Log.Stream("ledger/m/one")![^1];
        fake.Log.DropLatest(4);
        var truncated = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => backend.OpenStoreAsync(CancellationToken.None));

        // The same document imported again: the same matter versions at the same $all positions, under other event ids.
        await using (var events = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString))
        {
            await events.AppendAsync("m/one", 1, [TestEvents.Event("s2"), TestEvents.Event("s3")]);
        }

        var again = fake.Log.Stream("ledger/m/one")![^1];
        var rewritten = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => backend.OpenStoreAsync(CancellationToken.None));

        Assert.Equal((lost.Position, lost.Revision), (again.Position, again.Revision));
        Assert.Contains("through its event 3 (matter m/one version 3", truncated.Message, StringComparison.Ordinal);
        Assert.Contains("but the node's ledger now ends before it: the node has lost writes", truncated.Message, StringComparison.Ordinal);
        Assert.Contains($"event {lost.Id}, $all position", rewritten.Message, StringComparison.Ordinal);
        Assert.Contains($"but the node has another event there, event {again.Id}", rewritten.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tree_past_the_nodes_ledger_is_refused_when_the_catalogue_is_behind_it()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var backend = new EventStoreDbBackend(fake.ConnectionString, await FreshStateAsync());
        await using (var store = (EventStoreDbWithTree)await backend.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1")]);
            await store.AppendAsync("m/one", 1, [TestEvents.Event("s2"), TestEvents.Event("s3")]);
            Assert.Equal(3, await store.CatchUpAsync());
        }

        // A catalogue behind the tree (its last save lost in a crash, or a state kept before the catalogue was), then the node loses writes.
        await ExecuteOnStateAsync(backend, "DELETE FROM {0}esdb_catalog; DELETE FROM {0}esdb_catalog_events; DELETE FROM {0}esdb_catalog_streams; DELETE FROM {0}esdb_catalog_statements");
        fake.Log.DropLatest(4);

        var refused = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => backend.OpenStoreAsync(CancellationToken.None));
        Assert.Contains("the state store's Merkle tree holds 3 events of the EventStoreDB ledger ledger/, but the node's ledger holds only 1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_saved_catalogue_is_refused_once_the_node_restarts_empty_and_is_refilled()
    {
        await using var fake = await EventStoreDbProtocolFake.StartAsync();
        var backend = new EventStoreDbBackend(fake.ConnectionString, await FreshStateAsync());
        await using (var store = await backend.OpenStoreAsync(CancellationToken.None))
        {
            await store.AppendAsync("m/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);
        }

        await fake.RestartEmptyAsync();
        await using (var events = await EventStoreDbEventStore.OpenAsync(fake.ConnectionString, backend.StreamPrefix))
        {
            await events.AppendAsync("m/one", 0, [TestEvents.Event("s1"), TestEvents.Event("s2")]);
        }

        var refused = await Assert.ThrowsAsync<StateOfAnotherLogException>(() => backend.OpenStoreAsync(CancellationToken.None));
        Assert.Contains("it is another log", refused.Message, StringComparison.Ordinal);
    }
}
