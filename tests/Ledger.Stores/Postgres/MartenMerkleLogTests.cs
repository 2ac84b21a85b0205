using System.Globalization;
using System.Text.Json;
using Ledger.Events;
using Ledger.Storage;
using Ledger.Store.Marten;
using Ledger.Store.Marten.Projections;
using Ledger.Verification;
using Npgsql;
using Xunit.Abstractions;

namespace Ledger.Stores.Postgres;

/// <summary>
/// The Merkle log conformance on Marten and a real PostgreSQL, the tree kept by the async daemon; and tampering with
/// Marten's own event rows.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MartenMerkleLogTests(PostgresCluster cluster, ITestOutputHelper output) : MerkleLogConformance
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

    /// <summary>
    /// Receipts were once a row an event; they are a row an append now (its events' leaf hashes one after the other).
    /// A ledger holding both reads both: the tree takes every event and verify finds nothing amiss.
    /// </summary>
    [Fact]
    public async Task Receipts_of_a_row_an_event_and_of_a_row_an_append_both_prove_their_events()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        using var signer = NoteSigner.Generate("test.example/log");
        await using (var store = await MartenEventStore.OpenAsync(connectionString))
        {
            await store.AppendAsync("a/one", 0, [Event("o1"), Event("o2"), Event("o3")]);
        }

        // The first append's receipt as a ledger of the former layout kept it: a row an event.
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var split = dataSource.CreateCommand(
                """
                ALTER TABLE ledger.ledger_merkle_receipts DISABLE TRIGGER ledger_merkle_receipts_append_only;
                CREATE TEMP TABLE run AS SELECT * FROM ledger.ledger_merkle_receipts;
                DELETE FROM ledger.ledger_merkle_receipts;
                INSERT INTO ledger.ledger_merkle_receipts (stream_id, version, hash)
                    SELECT stream_id, version + i, substring(hash FROM (i * 32 + 1)::integer FOR 32) FROM run, generate_series(0, length(hash) / 32 - 1) AS i;
                ALTER TABLE ledger.ledger_merkle_receipts ENABLE TRIGGER ledger_merkle_receipts_append_only;
                SELECT count(*) FROM ledger.ledger_merkle_receipts;
                """);
            Assert.Equal(3L, await split.ExecuteScalarAsync());
        }

        await using var reopened = await WithDaemon.OpenAsync(connectionString);
        await reopened.AppendAsync("a/one", 3, [Event("n1"), Event("n2")]);
        await reopened.AppendAsync("a/two", 0, [Event("n3")]);
        var before = await VerifyLog.RunAsync(((IVerifiableStore)reopened).Merkle, signer.Verifier);
        await reopened.CatchUpAsync();
        var after = await VerifyLog.RunAsync(((IVerifiableStore)reopened).Merkle, signer.Verifier);

        Assert.True(before.Ok, string.Join("; ", before.Events.Select(e => e.Message)));
        Assert.True(after.Ok, string.Join("; ", after.Events.Select(e => e.Message)));
        Assert.Equal(0, after.NotYetInTree);
        Assert.Equal(6, (await ((IVerifiableStore)reopened).Merkle.OpenTreeAsync()).Size);
    }

    [Fact]
    public async Task An_append_the_daemon_has_yet_to_take_whose_data_no_longer_parses_is_named_by_verify_and_refused_by_signing()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        using var signer = NoteSigner.Generate("test.example/log");
        await store.AppendAsync("a/one", 0, [Event("t1"), Event("t2")]);
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var tamper = dataSource.CreateCommand(
                "UPDATE ledger.mt_events SET data = jsonb_set(data, '{recordedAt}', to_jsonb(overlay(data ->> 'recordedAt' placing '13' from 6 for 2))) WHERE data ->> 'statementId' = 't2'");
            Assert.Equal(1, await tamper.ExecuteNonQueryAsync());
        }

        var report = await VerifyLog.RunAsync(store.Merkle, signer.Verifier);
        var signing = await Assert.ThrowsAsync<LogIntegrityException>(() => SignCheckpoint.RunAsync(store.Merkle, signer, TimeProvider.System));

        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.Forged, "t2"), (finding.Kind, finding.StatementId));
        Assert.Contains("recordedAt", finding.Message, StringComparison.Ordinal);
        Assert.Equal(1, report.NotYetInTree);
        Assert.Contains("statement t2", signing.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// One stored event's row in Marten's events table changed in every column, one way at a time, as an attacker who
    /// owns the database would (triggers off, the foreign keys' among them): each character of its text flipped (its
    /// lowest bit, then bit 7, which makes accented letters and characters JSON refuses), its numbers' bits flipped,
    /// every member of its JSON set to a value of each JSON type, removed, or joined by one the ledger never writes, and
    /// every timestamp in it made one that does not parse. Every change the database takes fails verification naming
    /// the event (jsonb refuses text that is not JSON, so those flips never reach the ledger). What no leaf covers is
    /// changed too, and must leave verification and every read as they were.
    /// </summary>
    [Fact]
    public async Task Changing_a_stored_event_in_any_column_in_any_way_fails_verification_naming_that_event()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var store = await MartenEventStore.OpenAsync(connectionString);
        using var signer = NoteSigner.Generate("test.example/log");
        await using (var daemon = await store.StartProjectionDaemonAsync())
        {
            await store.AppendAsync("x/first", 0, [Event("first", "x/first")]);
            await store.AppendAsync("a/one", 0, [RichEvent()]);
            await daemon.CatchUpAsync(CatchUp);
        }

        await SignCheckpoint.RunAsync(store.Merkle, signer, TimeProvider.System);
        Assert.True((await VerifyLog.RunAsync(store.Merkle, signer.Verifier)).Ok);
        var asRead = await ListAsync(store.ReadAllAsync());
        var position = asRead.Single(e => e.StatementId == "target").Position;

        await using var attacker = new NpgsqlConnection(connectionString);
        await attacker.OpenAsync();

        // Triggers off, the foreign keys' among them. The id and time Marten gave the row are fixed, so that which of
        // their flips the database takes does not vary from run to run.
        await ExecuteAsync(attacker, $"""
            SET session_replication_role = replica;
            UPDATE ledger.mt_events SET id = '7d3c5a10-2b4e-4f60-9a8b-c1d2e3f4a5b6', timestamp = '2026-01-10 12:00:06.654321+00' WHERE seq_id = {position};
            CREATE TEMP TABLE original AS SELECT * FROM ledger.mt_events WHERE seq_id = {position};
            """);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ledger.mt_events'::regclass AND attnum > 0 AND NOT attisdropped", attacker))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                types[reader.GetString(0)] = reader.GetString(1);
            }
        }

        // What readers of the ledger read of the row, and so what verification checks: the leaf covers the matter,
        // version, type, data and the organization in the headers, the leaf's own row names the sequence, readers skip
        // archived rows, and Marten reads binary data, when there is any, in place of the JSON.
        string[] covered = ["seq_id", "stream_id", "version", "type", "data", "headers", "is_archived", "bdata"];

        // Marten's bookkeeping, which no reader of the ledger reads, so no leaf covers it: the event's own id, when
        // Marten appended it (the ledger's recordedAt is in the data), the tenant (the ledger has one), and the CLR type
        // name (Marten reads events by their type column, and verification names a row whose type is unknown).
        string[] bookkeeping = ["id", "timestamp", "tenant_id", "mt_dotnet_type"];
        Assert.Equal(covered.Concat(bookkeeping).Order(StringComparer.Ordinal), types.Keys.Order(StringComparer.Ordinal));

        var failures = new List<string>();
        var (named, unchanged, refused) = (0, 0, 0);

        // Each change sets one column to a value made from the original row (o), so changes of one column follow each
        // other without a restore in between; the column is restored before another is changed.
        string? changed = null;
        static string KeyOf(string column) => column == "seq_id" ? "id" : "seq_id";
        async Task RestoreAsync()
        {
            if (changed is { } column)
            {
                await ExecuteAsync(attacker, $"UPDATE ledger.mt_events e SET {column} = o.{column} FROM original o WHERE e.{KeyOf(column)} = o.{KeyOf(column)}");
                changed = null;
            }
        }

        async Task<bool> ChangeAsync(string column, string expression, params string[] values)
        {
            if (changed != column)
            {
                await RestoreAsync();
            }

            // The row is found by a column this change leaves alone.
            await using var command = new NpgsqlCommand(
                $"UPDATE ledger.mt_events e SET {column} = {expression} FROM original o WHERE e.{KeyOf(column)} = o.{KeyOf(column)} AND ({expression}) IS DISTINCT FROM o.{column}", attacker);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            try
            {
                if (await command.ExecuteNonQueryAsync() == 1)
                {
                    changed = column;
                    return true;
                }
            }
            catch (PostgresException)
            {
                refused++;
            }

            return false;
        }

        async Task CheckAsync(string column, string what)
        {
            var change = $"{column}: {what}";
            try
            {
                var report = await VerifyLog.RunAsync(store.Merkle, signer.Verifier);
                if (covered.Contains(column) && !IsNullMemberRemoved(what))
                {
                    named++;
                    if (report.Ok || !report.Events.Any(f => f.Position == position || f.StatementId == "target"))
                    {
                        failures.Add($"{change}: {(report.Ok ? "verified" : string.Join("; ", report.Events.Select(f => f.Message)))}");
                    }
                }
                else
                {
                    unchanged++;
                    var after = await ListAsync(store.ReadAllAsync());
                    if (!report.Ok || !after.SequenceEqual(asRead))
                    {
                        failures.Add($"{change}: changed what verification or a reader sees: {string.Join("; ", report.Events.Select(f => f.Message))}");
                    }
                }
            }
            catch (Exception ex)
            {
                failures.Add($"{change}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        async Task TryAsync(string column, string what, string expression, params string[] values)
        {
            if (await ChangeAsync(column, expression, values))
            {
                await CheckAsync(column, what);
            }
        }

        foreach (var column in new[] { "seq_id", "version" })
        {
            var original = long.Parse(await ScalarAsync(attacker, $"SELECT {column}::text FROM original"), CultureInfo.InvariantCulture);
            for (var bit = 0; bit < 64; bit += 7)
            {
                await TryAsync(column, $"bit {bit}", "$1::bigint", (original ^ (1L << bit)).ToString(CultureInfo.InvariantCulture));
            }
        }

        await TryAsync("is_archived", "true", "true");
        await TryAsync("is_archived", "NULL", "NULL");
        await TryAsync("bdata", "the data's bytes", "convert_to(o.data::text, 'UTF8')");
        await TryAsync("bdata", "one byte", "'\\x00'::bytea");
        foreach (var column in types.Keys.Where(c => c is not ("seq_id" or "version" or "is_archived" or "bdata")))
        {
            var text = await ScalarAsync(attacker, $"SELECT {column}::text FROM original");
            await TryAsync(column, "NULL", "NULL");
            for (var i = 0; i < text.Length; i++)
            {
                foreach (var mask in new[] { 0x01, 0x80 })
                {
                    var flipped = text.ToCharArray();
                    flipped[i] = (char)(flipped[i] ^ mask);
                    await TryAsync(column, $"character {i} ^ 0x{mask:x2} in …{Around(text, i)}…", $"$1::text::{types[column]}", new string(flipped));
                }
            }

            if (types[column] == "jsonb")
            {
                await ReshapeAsync(column, text, TryAsync);
            }
        }

        await RestoreAsync();
        output.WriteLine($"{named} changes of covered columns, {unchanged} of the others, {refused} refused by the database");
        Assert.True(failures.Count == 0, $"{failures.Count} of {named + unchanged} changes:\n{string.Join("\n", failures.Take(40))}");
        Assert.True((await VerifyLog.RunAsync(store.Merkle, signer.Verifier)).Ok);
        Assert.True(named > 1500 && unchanged > 100, $"{named} changes of covered columns, {unchanged} of the others, {refused} refused by the database");
    }

    /// <summary>
    /// Removing a member that holds null changes nothing the leaf commits to (its payload leaves nulls out) nor what a
    /// reader reads; and events stored before a member was added to their type lack it.
    /// </summary>
    private static bool IsNullMemberRemoved(string what) => what.StartsWith("removed null ", StringComparison.Ordinal);

    /// <summary>Every member and element of a JSON column set to a value of each JSON type, removed, or joined by a member; every timestamp broken.</summary>
    private static async Task ReshapeAsync(string column, string text, Func<string, string, string, string[], Task> tryAsync)
    {
        string[] values = ["null", "0", "1.5", "\"x\"", "\"\"", "true", "false", "[]", "{}", "[1]", "{\"a\": 1}"];
        foreach (var value in values)
        {
            await tryAsync(column, $"replaced by {value}", "$1::jsonb", [value]);
        }

        using var document = JsonDocument.Parse(text);
        var nodes = new List<(string Path, JsonElement Value)>();
        Collect(document.RootElement, []);
        void Collect(JsonElement element, string[] path)
        {
            if (path.Length > 0)
            {
                nodes.Add(("{" + string.Join(',', path.Select(p => JsonSerializer.Serialize(p))) + "}", element));
            }

            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var member in element.EnumerateObject())
                {
                    Collect(member.Value, [.. path, member.Name]);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, [.. path, (index++).ToString(CultureInfo.InvariantCulture)]);
                }
            }
        }

        foreach (var (path, value) in nodes)
        {
            foreach (var replacement in values)
            {
                await tryAsync(column, $"{path} set to {replacement}", $"jsonb_set(o.{column}, $1::text[], $2::jsonb)", [path, replacement]);
            }

            await tryAsync(column, $"removed {(value.ValueKind == JsonValueKind.Null ? "null " : string.Empty)}{path}", $"o.{column} #- $1::text[]", [path]);
            if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: >= 19 } time && time[4] == '-' && time[10] == 'T')
            {
                string[] broken = [time.Replace('T', 'U'), time[..5] + "13" + time[7..], time[..8] + "32" + time[10..], time[..11] + "25" + time[13..], time[..10], time + "x", "0000-00-00T00:00:00Z"];
                foreach (var bad in broken)
                {
                    await tryAsync(column, $"{path} set to {bad}", $"jsonb_set(o.{column}, $1::text[], to_jsonb($2::text))", [path, bad]);
                }
            }
        }

        foreach (var (path, _) in nodes.Where(n => n.Value.ValueKind == JsonValueKind.Object).Prepend(("{}", document.RootElement)))
        {
            foreach (var extra in new[] { "1", "null" })
            {
                var added = path == "{}" ? "{extra}" : path[..^1] + ",extra}";
                await tryAsync(column, $"{added} added as {extra}", $"jsonb_set(o.{column}, $1::text[], $2::jsonb)", [added, extra]);
            }
        }
    }

    private static string Around(string text, int index) => text[Math.Max(0, index - 12)..Math.Min(text.Length, index + 12)];

    /// <summary>A statement with a speaker, a full source, a list of findings with enums and a fractional timestamp: every shape the data takes.</summary>
    private static EventToAppend RichEvent()
    {
        var quote = "Findings \u00e9\u2028 \"quoted\".";
        var source = new Source("https://example.org/target", "Title", "Publisher", "A note", "https://archive.example.org/target", Hashing.Sha256Hex("archived"));
        Statement statement = new FindingsDisclosed(
            "target", "a/one", new DateTimeOffset(2026, 1, 9, 12, 0, 0, TimeSpan.FromHours(2)), new DateTimeOffset(2026, 1, 10, 12, 0, 6, TimeSpan.Zero).AddTicks(1234567), "spec",
            new Speaker("A. Person", null), source, quote, Hashing.Sha256Hex(quote), FindingStage.Final,
            [new Finding("alleg-1", Assessment.PartiallySubstantiated, "Partly so.", NewAllegation: true), new Finding("alleg-2", Assessment.NoEvidence, null)]);
        return EventEnvelope.ToAppend(statement, "Acme");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync())!;
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
