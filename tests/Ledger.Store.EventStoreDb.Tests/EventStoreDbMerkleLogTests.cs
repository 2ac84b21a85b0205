using Ledger.Messaging.ReadModels;
using Ledger.Storage;
using Ledger.Store.Sqlite;
using MartenMerkleTree = Ledger.Store.Marten.Merkle.MartenMerkleTree;
using Ledger.Stores;
using Ledger.Stores.Postgres;
using Ledger.Verification;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.Store.EventStoreDb.Tests;

/// <summary>The Merkle log conformance on EventStoreDB against the protocol fake, the tree in a SQLite file beside the state.</summary>
public sealed class EventStoreDbMerkleLogTests(ProtocolFakeFixture fixture) : EventStoreDbMerkleLogSuite, IClassFixture<ProtocolFakeFixture>
{
    protected override string ConnectionString => fixture.Fake.ConnectionString;

    [Fact]
    public async Task The_tree_file_refuses_updates_and_a_changed_leaf_shows_against_the_events()
    {
        await using var store = await OpenFreshAsync();
        await AppendRandomlyAsync(store, 40, seed: 34);
        await CatchUpAsync(store);
        var tree = (SqliteMerkleTree)((EventStoreDbWithTree)store).Tree;

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={tree.Path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE merkle_tree SET leaves = zeroblob(32)";
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => command.ExecuteNonQueryAsync());

        // Around the triggers, as someone with the file could: the leaf no longer matches its event.
        command.CommandText = "SELECT leaves FROM merkle_tree WHERE first_leaf = 0";
        var leaves = (byte[])(await command.ExecuteScalarAsync())!;
        leaves[0] ^= 0x01;
        command.CommandText = "DROP TRIGGER merkle_tree_is_immutable; UPDATE merkle_tree SET leaves = $leaves WHERE first_leaf = 0";
        command.Parameters.AddWithValue("$leaves", leaves);
        await command.ExecuteNonQueryAsync();
        Assert.Equal([0L], await MismatchesAsync(store));
    }
}

/// <summary>The Merkle log conformance on EventStoreDB against the protocol fake, the tree in a PostgreSQL state database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventStoreDbPostgresMerkleLogTests(ProtocolFakeFixture fixture, PostgresCluster cluster) : EventStoreDbMerkleLogSuite, IClassFixture<ProtocolFakeFixture>
{
    protected override string ConnectionString => fixture.Fake.ConnectionString;

    protected override async Task<IProjectedMerkleTree> OpenTreeAsync(IEventStore events) =>
        await MartenMerkleTree.OpenAsync(await cluster.CreateDatabaseAsync(), "ledger", events);

    [Fact]
    public async Task The_tree_tables_refuse_changes_and_a_leaf_changed_around_them_shows_against_the_events()
    {
        var database = await cluster.CreateDatabaseAsync();
        var events = await EventStoreDbEventStore.OpenAsync(ConnectionString, $"ledger-{Guid.NewGuid():N}/");
        await using var store = new EventStoreDbWithTree(events, await MartenMerkleTree.OpenAsync(database, "ledger", events), null);
        await AppendRandomlyAsync(store, 30, seed: 35);
        await CatchUpAsync(store);

        await using var dataSource = Npgsql.NpgsqlDataSource.Create(database);
        await using (var update = dataSource.CreateCommand("UPDATE ledger.ledger_merkle_leaves SET hash = '\\x00'"))
        {
            await Assert.ThrowsAsync<Npgsql.PostgresException>(() => update.ExecuteNonQueryAsync());
        }

        await using (var around = dataSource.CreateCommand(
            "ALTER TABLE ledger.ledger_merkle_leaves DISABLE TRIGGER ALL; UPDATE ledger.ledger_merkle_leaves SET hash = sha256(hash) WHERE leaf_index = 4"))
        {
            await around.ExecuteNonQueryAsync();
        }

        Assert.Equal([4L], await MismatchesAsync(store));
    }
}

/// <summary>
/// The Merkle log conformance on EventStoreDB: the tree is kept in a SQLite file beside the ledger's state and
/// extended behind the appends by the worker's <see cref="MerkleTreeProjector"/>, as Marten's daemon does.
/// </summary>
public abstract class EventStoreDbMerkleLogSuite : MerkleLogConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-esdb-merkle-").FullName;

    protected abstract string ConnectionString { get; }

    /// <summary>Where the tree is kept: by default a SQLite file, as beside the default state.</summary>
    protected virtual async Task<IProjectedMerkleTree> OpenTreeAsync(IEventStore events) =>
        await SqliteMerkleTree.OpenAsync(Path.Combine(directory, $"{Guid.NewGuid():N}.merkle.db"), events);

    protected override async Task<IEventStore> OpenFreshAsync()
    {
        var events = await EventStoreDbEventStore.OpenAsync(ConnectionString, $"ledger-{Guid.NewGuid():N}/");
        return new EventStoreDbWithTree(events, await OpenTreeAsync(events), null);
    }

    /// <summary>Runs the worker's projection until the tree holds every event appended so far.</summary>
    protected override async Task CatchUpAsync(IEventStore store)
    {
        var backend = new EventStoreDbBackend(ConnectionString, new SqliteBackend(Path.Combine(directory, "state.db")));
        using var projection = new MerkleTreeProjector(store, backend, NullLogger<MerkleTreeProjector>.Instance);
        await projection.StartAsync(CancellationToken.None);
        try
        {
            var last = await store.LastPositionAsync();
            var tree = ((EventStoreDbWithTree)store).Tree;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await tree.SizeAsync() < last)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
        finally
        {
            await projection.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Events_seen_again_after_a_restart_are_skipped_and_a_gap_is_refused()
    {
        await using var store = await OpenFreshAsync();
        await AppendRandomlyAsync(store, 30, seed: 31);
        var tree = ((EventStoreDbWithTree)store).Tree;
        var events = await ListAsync(store.ReadAllAsync());

        Assert.Equal(20, await tree.ExtendAsync(events[..20]));
        Assert.Equal(25, await tree.ExtendAsync(events[10..25]));
        var gap = await Assert.ThrowsAsync<InvalidOperationException>(() => tree.ExtendAsync(events[26..]));
        Assert.Contains("holds 25 leaves", gap.Message, StringComparison.Ordinal);
        Assert.Equal(25, await tree.SizeAsync());

        Assert.Equal(events.Count, await tree.ExtendAsync(events[25..]));
        await AssertTreeAsync(store);
    }

    [Fact]
    public async Task A_projection_that_follows_the_log_extends_the_tree_as_events_arrive()
    {
        await using var store = await OpenFreshAsync();
        var tree = ((EventStoreDbWithTree)store).Tree;
        using var stop = new CancellationTokenSource();
        var follow = LogBatches.FollowAsync(store, 1, 7, async (batch, token) => await tree.ExtendAsync(batch, token), stop.Token);

        await AppendRandomlyAsync(store, 25, seed: 32);
        await AppendRandomlyAsync(store, 25, seed: 33);
        var last = await store.LastPositionAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (await tree.SizeAsync() < last)
            {
                await Task.Delay(20, timeout.Token);
            }
        }

        await stop.CancelAsync();
        await follow.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        await AssertTreeAsync(store);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
