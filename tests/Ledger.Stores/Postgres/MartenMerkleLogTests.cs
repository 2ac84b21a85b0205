using Ledger.Storage;
using Ledger.Store.Marten;
using Ledger.Store.Marten.Projections;
using Ledger.Verification;
using Npgsql;

namespace Ledger.Stores.Postgres;

/// <summary>
/// The Merkle log conformance on Marten and a real PostgreSQL, the tree kept by the async daemon; and tampering with
/// Marten's own event rows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MartenMerkleLogTests(PostgresCluster cluster) : MerkleLogConformance
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(60);

    protected override async Task<IEventStore> OpenFreshAsync() => await WithDaemon.OpenAsync(await cluster.CreateDatabaseAsync());

    protected override Task CatchUpAsync(IEventStore store) => ((WithDaemon)store).CatchUpAsync();

    [Fact]
    public async Task Changing_a_quote_in_martens_event_row_or_deleting_the_row_shows_as_that_leaf_alone_no_longer_matching()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await WithDaemon.OpenAsync(connectionString);
        await AppendRandomlyAsync(store, 40, seed: 21);
        await store.CatchUpAsync();
        var leaves = await ListAsync(Log(store).ReadLeavesAsync());
        Assert.Equal(40, leaves.Count);
        Assert.Empty(await MismatchesAsync(store));

        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var change = dataSource.CreateCommand(
                "UPDATE ledger.mt_events SET data = jsonb_set(data, '{quote}', to_jsonb(replace(data ->> 'quote', 'Quote', 'Quota'))) WHERE seq_id = $1");
            change.Parameters.Add(new NpgsqlParameter { Value = leaves[7].Position });
            Assert.Equal(1, await change.ExecuteNonQueryAsync());
        }

        Assert.Equal([7L], await MismatchesAsync(store));

        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var delete = dataSource.CreateCommand("DELETE FROM ledger.mt_events WHERE seq_id = $1");
            delete.Parameters.Add(new NpgsqlParameter { Value = leaves[20].Position });
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        var after = await ListAsync(Log(store).ReadLeavesAsync());
        Assert.Null(after[20].Event);
        Assert.Equal([7L, 20L], await MismatchesAsync(store));
    }

    [Fact]
    public async Task The_tree_tables_refuse_updates_and_deletes()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await WithDaemon.OpenAsync(connectionString);
        await AppendRandomlyAsync(store, 5, seed: 22);
        await store.CatchUpAsync();
        await Log(store).AddCheckpointAsync(new StoredCheckpoint(5, new byte[32], "note", DateTimeOffset.UnixEpoch));

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        foreach (var sql in new[]
        {
            "UPDATE ledger.ledger_merkle_leaves SET hash = '\\x00'", "DELETE FROM ledger.ledger_merkle_leaves",
            "DELETE FROM ledger.ledger_merkle_nodes", "TRUNCATE ledger.ledger_merkle_nodes",
            "UPDATE ledger.ledger_checkpoints SET note = 'x'", "DELETE FROM ledger.ledger_checkpoints",
        })
        {
            await using var command = dataSource.CreateCommand(sql);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal(5, (await Log(store).OpenTreeAsync()).Size);
    }

    [Fact]
    public async Task A_restarted_daemon_continues_the_tree_from_the_stored_frontier()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using (var first = await WithDaemon.OpenAsync(connectionString))
        {
            await AppendRandomlyAsync(first, 70, seed: 23);
            await first.CatchUpAsync();
        }

        await using var second = await WithDaemon.OpenAsync(connectionString);
        await AppendRandomlyAsync(second, 50, seed: 24);
        await second.CatchUpAsync();

        await AssertTreeAsync(second);
    }

    [Fact]
    public async Task A_row_inserted_with_sql_has_no_receipt_so_verify_names_it_and_the_tree_never_takes_it()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await WithDaemon.OpenAsync(connectionString);
        using var signer = NoteSigner.Generate("test.example/log");
        await store.AppendAsync("a/one", 0, [Event("p1"), Event("p2")]);
        await store.CatchUpAsync();
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var forge = dataSource.CreateCommand(
                "CREATE TEMP TABLE forged AS SELECT * FROM ledger.mt_events WHERE seq_id = (SELECT max(seq_id) FROM ledger.mt_events); " +
                "UPDATE forged SET seq_id = nextval('ledger.mt_events_sequence'), id = gen_random_uuid(), version = 3, data = jsonb_set(data, '{statementId}', '\"forged\"'); " +
                "INSERT INTO ledger.mt_events SELECT * FROM forged; UPDATE ledger.mt_streams SET version = 3 WHERE id = 'a/one'");
            await forge.ExecuteNonQueryAsync();
        }

        var trailing = await VerifyLog.RunAsync(Log(store), signer.Verifier);
        await store.AppendAsync("b/two", 0, [Event("p4", "b/two")]);
        await store.CatchUpAsync();
        var behind = await VerifyLog.RunAsync(Log(store), signer.Verifier);

        var before = Assert.Single(trailing.Events);
        Assert.Equal((FindingKinds.Forged, "forged"), (before.Kind, before.StatementId));
        Assert.Equal(3, (await Log(store).OpenTreeAsync()).Size);
        var after = Assert.Single(behind.Events);
        Assert.Equal((FindingKinds.NotInTree, "forged"), (after.Kind, after.StatementId));
        Assert.Equal(0, behind.NotYetInTree);
    }

    [Fact]
    public async Task Appends_the_daemon_has_yet_to_take_are_proven_genuine_by_their_receipts()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var store = await MartenEventStore.OpenAsync(connectionString);
        await using var disposing = store;
        using var signer = NoteSigner.Generate("test.example/log");

        await store.AppendAsync("a/one", 0, [Event("r1"), Event("r2")]);
        var report = await VerifyLog.RunAsync(store.Merkle, signer.Verifier);

        Assert.True(report.Ok, string.Join("; ", report.Events.Select(e => e.Message)));
        Assert.Equal(2, report.NotYetInTree);
    }

    /// <summary>A Marten store with its async daemon running, stopped before the store is disposed.</summary>
    private sealed class WithDaemon(MartenEventStore store, MartenProjectionDaemon daemon) : DelegatingEventStore(store), IVerifiableStore
    {
        public IMerkleLog Merkle => ((IVerifiableStore)Inner).Merkle;

        public static async Task<WithDaemon> OpenAsync(string connectionString)
        {
            var store = await MartenEventStore.OpenAsync(connectionString);
            return new WithDaemon(store, await store.StartProjectionDaemonAsync());
        }

        public Task CatchUpAsync() => daemon.CatchUpAsync(CatchUp);

        protected override async ValueTask DisposeCoreAsync()
        {
            await daemon.DisposeAsync();
            await base.DisposeCoreAsync();
        }
    }
}
