using Ledger.Storage;
using Ledger.Store.Sqlite;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Stores;

/// <summary>The Merkle log conformance on the embedded store, and what only a file shows: reopening, migration, several writers, tampering.</summary>
public sealed class SqliteMerkleLogTests : MerkleLogConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("ledger-merkle-").FullName;

    protected override async Task<IEventStore> OpenFreshAsync() => await SqliteEventStore.OpenAsync(NewPath());

    /// <summary>The embedded store extends the tree in the append transaction: nothing to wait for.</summary>
    protected override Task CatchUpAsync(IEventStore store) => Task.CompletedTask;

    private string NewPath() => Path.Combine(directory, $"{Guid.NewGuid():N}.db");

    private static async Task<SqliteConnection> RawAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<long> ExecuteAsync(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync() is long result ? result : 0L;
    }

    [Fact]
    public async Task Leaves_announced_ahead_are_taken_up_only_by_the_append_they_were_announced_for()
    {
        await using var store = await SqliteEventStore.OpenAsync(NewPath());
        List<EventToAppend> first = [Event("p1"), Event("p2")];
        List<EventToAppend> second = [Event("p3")];
        List<EventToAppend> elsewhere = [Event("p4", matter: "a/two")];

        store.PrepareAppend("a/one", 0, first);
        await store.AppendAsync("a/one", 0, first);

        // Announced for a version the append does not have: the append hashes its leaves afresh.
        store.PrepareAppend("a/one", 7, second);
        await store.AppendAsync("a/one", 2, second);

        // Announced for another stream than the append's.
        store.PrepareAppend("a/one", 0, elsewhere);
        await store.AppendAsync("a/two", 0, elsewhere);

        Assert.Equal(4, (await store.Merkle.OpenTreeAsync()).Size);
        await AssertTreeAsync(store);
        Assert.Empty(await MismatchesAsync(store));
    }

    [Fact]
    public async Task The_tree_survives_reopening_and_keeps_growing()
    {
        var path = NewPath();
        await using (var store = await SqliteEventStore.OpenAsync(path))
        {
            await AppendRandomlyAsync(store, 70, seed: 11);
        }

        SqliteConnection.ClearAllPools();
        await using var reopened = await SqliteEventStore.OpenAsync(path);
        Assert.Equal(70, (await reopened.Merkle.OpenTreeAsync()).Size);
        await AppendRandomlyAsync(reopened, 40, seed: 12);
        await AssertTreeAsync(reopened);
    }

    [Fact]
    public async Task A_schema_1_file_is_migrated_and_its_events_backfilled_into_the_tree()
    {
        var path = NewPath();
        var events = Enumerable.Range(0, 300).Select(i => (Matter: $"m/{i % 3}", Version: (i / 3) + 1L, Event: Event($"v1-{i}", $"m/{i % 3}"))).ToList();
        await using (var connection = await RawAsync(path))
        {
            // The schema of the first release: streams and events, user_version 1.
            await ExecuteAsync(connection, $"""
                PRAGMA journal_mode=WAL;
                CREATE TABLE streams (stream_id TEXT PRIMARY KEY, organization TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
                {SqliteEventStore.EventsTable}
                PRAGMA user_version = 1;
                """);
            await using var transaction = connection.BeginTransaction();
            foreach (var (matter, version, e) in events)
            {
                await using var insert = connection.CreateCommand();
                insert.CommandText = """
                    INSERT INTO events (stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data)
                    VALUES ($stream, $version, $type, $statement, $organization, $published, $recorded, $by, $data)
                    """;
                insert.Parameters.AddWithValue("$stream", matter);
                insert.Parameters.AddWithValue("$version", version);
                insert.Parameters.AddWithValue("$type", e.Type);
                insert.Parameters.AddWithValue("$statement", e.StatementId);
                insert.Parameters.AddWithValue("$organization", e.Organization);
                insert.Parameters.AddWithValue("$published", SqliteEventStore.Format(e.PublishedAt!.Value));
                insert.Parameters.AddWithValue("$recorded", SqliteEventStore.Format(e.RecordedAt));
                insert.Parameters.AddWithValue("$by", e.RecordedBy);
                insert.Parameters.AddWithValue("$data", e.Data);
                await insert.ExecuteNonQueryAsync();
            }

            await ExecuteAsync(connection, "INSERT INTO streams VALUES ('m/0', 'Acme', 100), ('m/1', 'Acme', 100), ('m/2', 'Acme', 100)");
            await transaction.CommitAsync();
        }

        await using var store = await SqliteEventStore.OpenAsync(path);

        await using (var connection = await RawAsync(path))
        {
            Assert.Equal(3, await ExecuteAsync(connection, "PRAGMA user_version"));
            Assert.Equal(Enumerable.Range(6, 10).Sum(level => 300 >> level), await ExecuteAsync(connection, "SELECT sum(length(nodes)) / 32 FROM merkle_tree"));
        }

        Assert.Equal(300, (await store.Merkle.OpenTreeAsync()).Size);
        Assert.Empty(await MismatchesAsync(store));
        await store.AppendAsync("m/0", 100, [Event("after-migration", "m/0")]);
        await AssertTreeAsync(store);
    }

    [Fact]
    public async Task A_schema_2_file_keeps_its_stored_leaf_hashes_and_gets_its_nodes_derived_anew()
    {
        var path = NewPath();
        var events = Enumerable.Range(0, 300).Select(i => Event($"v2-{i}", "m/0")).ToList();
        List<byte[]> leafHashes;
        await using (var store = await SqliteEventStore.OpenAsync(path, new SqliteStoreOptions { MerkleTree = false }))
        {
            await store.AppendAsync("m/0", 0, events[..150]);
            await store.AppendAsync("m/0", 150, events[150..]);
            leafHashes = (await ListAsync(store.ReadAllAsync())).Select(CanonicalEvent.LeafHash).ToList();
        }

        // Leaf 7 was changed in the schema 2 tree: the migration must carry the change over, not launder it.
        leafHashes[7] = new byte[32];
        await using (var connection = await RawAsync(path))
        {
            await ExecuteAsync(connection, $"""
                DROP TABLE merkle_tree;
                CREATE TABLE merkle_leaves (first_leaf INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
                CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
                INSERT INTO merkle_nodes VALUES (6, 0, zeroblob(32));
                PRAGMA user_version = 2;
                """);
            foreach (var (first, count) in new[] { (0, 100), (100, 200) })
            {
                await ExecuteAsync(connection, "INSERT INTO merkle_leaves VALUES ($first, $hashes)",
                    ("$first", first), ("$hashes", leafHashes.Skip(first).Take(count).SelectMany(h => h).ToArray()));
            }
        }

        SqliteConnection.ClearAllPools();
        await using var migrated = await SqliteEventStore.OpenAsync(path);
        await using (var connection = await RawAsync(path))
        {
            Assert.Equal(3, await ExecuteAsync(connection, "PRAGMA user_version"));
            Assert.Equal(0, await ExecuteAsync(connection, "SELECT count(*) FROM sqlite_master WHERE name IN ('merkle_leaves', 'merkle_nodes')"));
        }

        var tree = await migrated.Merkle.OpenTreeAsync();
        Assert.Equal(300, tree.Size);
        Assert.Equal(MerkleHashes.Root(leafHashes), await MerkleProofs.RootAsync(tree, 300));
        Assert.Equal([7L], await MismatchesAsync(migrated));
    }

    [Fact]
    public async Task Appends_larger_than_a_row_of_leaves_are_split_into_rows_that_prove_like_the_reference_tree()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("m/big", 0, [.. Enumerable.Range(0, 700).Select(i => Event($"big-{i}", "m/big"))]);
        await AppendRandomlyAsync(store, 90, seed: 21);
        await store.AppendAsync("m/big", 700, [.. Enumerable.Range(700, 300).Select(i => Event($"big-{i}", "m/big"))]);

        await AssertTreeAsync(store);
        var leafHashes = (await ListAsync(store.ReadAllAsync())).Select(CanonicalEvent.LeafHash).ToList();
        var tree = await Log(store).OpenTreeAsync();
        foreach (var size in new long[] { 64, 255, 256, 257, 512, 700, 768, 790, 1024, 1090 })
        {
            var root = await MerkleProofs.RootAsync(tree, size);
            Assert.Equal(MerkleHashes.Root(leafHashes.Take((int)size).ToList()), root);
            foreach (var leaf in new[] { 0, 63, 64, 255, 256, size - 1 }.Where(l => l < size))
            {
                var proof = await MerkleProofs.InclusionAsync(tree, leaf, size);
                Assert.True(MerkleVerifier.VerifyInclusion(leaf, size, leafHashes[(int)leaf], proof, root), $"leaf {leaf} in {size}");
            }
        }
    }

    [Fact]
    public async Task Two_stores_on_one_file_appending_in_turn_keep_one_correct_tree()
    {
        var path = NewPath();
        await using var first = await SqliteEventStore.OpenAsync(path);
        await using var second = await SqliteEventStore.OpenAsync(path);
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < 60; i++)
        {
            var store = i % 3 == 0 ? first : second;
            var matter = $"m/{i % 4}";
            var batch = Enumerable.Range(0, 1 + (i % 4)).Select(j => Event($"two-{i}-{j}", matter)).ToList();
            versions[matter] = (await store.AppendAsync(matter, versions.GetValueOrDefault(matter), batch)).NextExpectedVersion;
        }

        await AssertTreeAsync(first);
        await AssertTreeAsync(second);
    }

    [Fact]
    public async Task A_row_inserted_behind_the_writers_back_is_named_by_verify_and_refused_by_the_next_append_and_by_signing()
    {
        var path = NewPath();
        await using var store = await SqliteEventStore.OpenAsync(path);
        using var signer = NoteSigner.Generate("test.example/log");
        await store.AppendAsync("a/one", 0, [Event("w1"), Event("w2")]);
        await using (var connection = await RawAsync(path))
        {
            await ExecuteAsync(connection,
                $"INSERT INTO events ({SqliteEventStore.Columns}) SELECT 3, stream_id, 3, event_type, 'forged', organization, published_at, recorded_at, recorded_by, data FROM events WHERE position = 2; " +
                "UPDATE streams SET version = 3 WHERE stream_id = 'a/one'");
        }

        var report = await VerifyLog.RunAsync(store.Merkle, signer.Verifier);
        var appended = await Assert.ThrowsAsync<StoreTamperedException>(() => store.AppendAsync("b/two", 0, [Event("w4", "b/two")]));
        var signing = await Assert.ThrowsAsync<LogIntegrityException>(() => SignCheckpoint.RunAsync(store.Merkle, signer, TimeProvider.System));

        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.Forged, "forged", 3L), (finding.Kind, finding.StatementId, finding.Position));
        Assert.Contains("statement forged", appended.Message, StringComparison.Ordinal);
        Assert.Contains("statement forged", signing.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await store.Merkle.OpenTreeAsync()).Size);
    }

    [Fact]
    public async Task A_row_before_position_1_is_read_by_no_reader_and_named_by_verify()
    {
        var path = NewPath();
        await using var store = await SqliteEventStore.OpenAsync(path);
        using var signer = NoteSigner.Generate("test.example/log");
        await store.AppendAsync("a/one", 0, [Event("z1")]);
        await using (var connection = await RawAsync(path))
        {
            await ExecuteAsync(connection,
                $"INSERT INTO events ({SqliteEventStore.Columns}) SELECT 0, stream_id, 0, event_type, 'at-zero', organization, published_at, recorded_at, recorded_by, data FROM events WHERE position = 1");
        }

        var report = await VerifyLog.RunAsync(store.Merkle, signer.Verifier);

        Assert.Equal(["z1"], (await ListAsync(store.ReadStreamAsync("a/one", 0))).Select(e => e.StatementId));
        Assert.Equal(["z1"], (await ListAsync(store.ReadAllAsync(0))).Select(e => e.StatementId));
        Assert.Empty(await store.FindStatementsAsync(["at-zero"]));
        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.Forged, "at-zero", 0L), (finding.Kind, finding.StatementId, finding.Position));
    }

    /// <summary>
    /// Every byte of one stored event, in every column, flipped one at a time (its lowest bit, then its highest, which
    /// also makes text that is not UTF-8): every flip fails verification, naming the event.
    /// </summary>
    [Fact]
    public async Task Flipping_any_byte_of_a_stored_event_in_any_column_fails_verification_naming_that_event()
    {
        var path = NewPath();
        await using var store = await SqliteEventStore.OpenAsync(path);
        using var signer = NoteSigner.Generate("test.example/log");
        await store.AppendAsync("x/first", 0, [Event("first", "x/first")]);
        await store.AppendAsync("a/one", 0, [Event("target")]);
        await SignCheckpoint.RunAsync(store.Merkle, signer, TimeProvider.System);
        Assert.True((await VerifyLog.RunAsync(store.Merkle, signer.Verifier)).Ok);

        await using var connection = await RawAsync(path);
        await ExecuteAsync(connection, "DROP TRIGGER events_are_immutable");
        var flips = 0;
        async Task AssertNamedAsync(string column, int index)
        {
            flips++;
            var report = await VerifyLog.RunAsync(store.Merkle, signer.Verifier);
            Assert.False(report.Ok, $"{column} byte {index}");
            Assert.True(report.Events.Any(f => f.Position == 2 || f.StatementId == "target"), $"{column} byte {index}: {string.Join("; ", report.Events.Select(f => f.Message))}");
        }

        foreach (var column in new[] { "position", "stream_version" })
        {
            var original = await ExecuteAsync(connection, $"SELECT {column} FROM events WHERE statement_id = 'target'");
            for (var bit = 0; bit < 64; bit += 7)
            {
                var flipped = original ^ (1L << bit);
                await ExecuteAsync(connection, $"UPDATE events SET {column} = $v WHERE statement_id = 'target'", ("$v", flipped));
                await AssertNamedAsync(column, bit / 8);
                await ExecuteAsync(connection, $"UPDATE events SET {column} = $v WHERE statement_id = 'target'", ("$v", original));
            }
        }

        foreach (var column in new[] { "stream_id", "event_type", "statement_id", "organization", "published_at", "recorded_at", "recorded_by", "data" })
        {
            byte[] original;
            await using (var read = connection.CreateCommand())
            {
                read.CommandText = $"SELECT CAST({column} AS BLOB) FROM events WHERE position = 2";
                original = (byte[])(await read.ExecuteScalarAsync())!;
            }

            for (var i = 0; i < original.Length; i++)
            {
                foreach (var mask in new byte[] { 0x01, 0x80 })
                {
                    var flipped = (byte[])original.Clone();
                    flipped[i] ^= mask;
                    await ExecuteAsync(connection, $"UPDATE events SET {column} = CAST($v AS TEXT) WHERE position = 2", ("$v", flipped));
                    await AssertNamedAsync(column, i);
                }
            }

            await ExecuteAsync(connection, $"UPDATE events SET {column} = CAST($v AS TEXT) WHERE position = 2", ("$v", original));
        }

        Assert.True((await VerifyLog.RunAsync(store.Merkle, signer.Verifier)).Ok);
        Assert.True(flips > 500, $"{flips} flips");
    }

    [Fact]
    public async Task An_event_whose_data_is_not_json_is_refused_with_nothing_appended_and_the_tree_goes_on()
    {
        await using var store = await OpenFreshAsync();
        await store.AppendAsync("a/one", 0, [Event("j1")]);

        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() => store.AppendAsync("a/one", 1, [Event("j2"), NotJson(Event("j3"))]));
        await store.AppendAsync("a/one", 1, [Event("j4")]);

        Assert.Equal(["j1", "j4"], (await ListAsync(store.ReadAllAsync())).Select(e => e.StatementId));
        await AssertTreeAsync(store);
    }

    private static EventToAppend NotJson(EventToAppend e) => new(e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, "{not json");

    [Fact]
    public async Task The_tree_tables_refuse_updates_and_deletes()
    {
        var path = NewPath();
        await using (var store = await SqliteEventStore.OpenAsync(path))
        {
            await AppendRandomlyAsync(store, 140, seed: 13);
            await store.Merkle.AddCheckpointAsync(new StoredCheckpoint(140, new byte[32], "note", DateTimeOffset.UnixEpoch));
        }

        await using var connection = await RawAsync(path);
        foreach (var sql in new[]
        {
            "UPDATE merkle_tree SET leaves = zeroblob(32)", "UPDATE merkle_tree SET nodes = zeroblob(32)", "DELETE FROM merkle_tree",
            "UPDATE log_checkpoints SET note = 'x'", "DELETE FROM log_checkpoints",
        })
        {
            var error = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(connection, sql));
            Assert.Matches("append-only|immutable|never deleted", error.Message);
        }
    }

    [Fact]
    public async Task Changing_one_byte_of_an_events_data_in_the_file_shows_as_that_leaf_alone_no_longer_matching()
    {
        var path = NewPath();
        await using var store = await SqliteEventStore.OpenAsync(path);
        await AppendRandomlyAsync(store, 30, seed: 14);
        Assert.Empty(await MismatchesAsync(store));

        await using (var connection = await RawAsync(path))
        {
            await ExecuteAsync(connection, "DROP TRIGGER events_are_immutable");
            var changed = await ExecuteAsync(connection, "UPDATE events SET data = replace(data, 'Quote ', 'Quota ') WHERE position = 7; SELECT changes()");
            Assert.Equal(1, changed);
        }

        Assert.Equal([6L], await MismatchesAsync(store));
    }

    [Fact]
    public async Task Deleting_an_event_row_shows_as_its_leaf_without_an_event()
    {
        var path = NewPath();
        await using var store = await SqliteEventStore.OpenAsync(path);
        await AppendRandomlyAsync(store, 30, seed: 15);

        await using (var connection = await RawAsync(path))
        {
            await ExecuteAsync(connection, "DROP TRIGGER events_are_never_deleted; DELETE FROM events WHERE position = 12");
        }

        var leaves = await ListAsync(store.Merkle.ReadLeavesAsync());
        Assert.Equal(30, leaves.Count);
        Assert.Null(leaves[11].Event);
        Assert.Equal([11L], await MismatchesAsync(store));
    }

    [Fact]
    public async Task Swapping_two_events_data_shows_as_both_leaves_no_longer_matching()
    {
        var path = NewPath();
        await using var store = await SqliteEventStore.OpenAsync(path);
        await AppendRandomlyAsync(store, 30, seed: 16);

        await using (var connection = await RawAsync(path))
        {
            await ExecuteAsync(connection, "DROP TRIGGER events_are_immutable");
            string Data(long position)
            {
                using var read = connection.CreateCommand();
                read.CommandText = $"SELECT data FROM events WHERE position = {position}";
                return (string)read.ExecuteScalar()!;
            }

            var (third, ninth) = (Data(3), Data(9));
            await ExecuteAsync(connection, "UPDATE events SET data = $data WHERE position = 3", ("$data", ninth));
            await ExecuteAsync(connection, "UPDATE events SET data = $data WHERE position = 9", ("$data", third));
        }

        Assert.Equal([2L, 8L], await MismatchesAsync(store));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }
}
