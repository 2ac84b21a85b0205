using Ledger.Storage;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// An EventStoreDB ledger's catalogue in its SQLite state file: the $all position of every event of the ledger by its
/// position, the streams with their versions, the statement ids, and the mark it holds through. Bound to its log: the
/// state's origin (<see cref="StateLogOrigin"/>) is checked before anything is read, and the mark names its own.
/// One connection serves the process's lookups, one at a time.
/// </summary>
internal sealed class SqliteCatalogStore(string path) : ICatalogStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS esdb_catalog (only INTEGER PRIMARY KEY CHECK (only = 1), prefix TEXT NOT NULL,
            count INTEGER NOT NULL, commit_position INTEGER NOT NULL, prepare_position INTEGER NOT NULL, origin_event TEXT NOT NULL,
            origin_commit INTEGER NOT NULL, origin_prepare INTEGER NOT NULL, last_event TEXT);
        CREATE TABLE IF NOT EXISTS esdb_catalog_events (position INTEGER PRIMARY KEY, commit_position INTEGER NOT NULL,
            prepare_position INTEGER NOT NULL, matter TEXT NOT NULL, version INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS esdb_catalog_events_at ON esdb_catalog_events (commit_position, prepare_position);
        CREATE INDEX IF NOT EXISTS esdb_catalog_events_version ON esdb_catalog_events (matter, version);
        CREATE TABLE IF NOT EXISTS esdb_catalog_streams (matter TEXT PRIMARY KEY, organization TEXT NOT NULL, version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS esdb_catalog_statements (statement_id TEXT PRIMARY KEY, position INTEGER NOT NULL);
        """;

    private readonly SemaphoreSlim gate = new(1, 1);
    private SqliteConnection? connection;

    public async Task<CatalogMark?> LoadAsync(string prefix, LedgerOrigin? origin, CancellationToken cancellationToken)
    {
        // The catalogue's own mark first: the state's origin is recorded when it is first seen, which must not be another log's.
        var loaded = await UseAsync(
            async db =>
            {
                await using var command = db.CreateCommand();
                command.CommandText = $"SELECT {CatalogMarks.Columns} FROM esdb_catalog";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return null;
                }

                return CatalogMarks.OfLedger(reader, prefix, origin, path);
            },
            cancellationToken);
        await StateLogOrigin.For(new StateFile(path)).CheckAsync(origin, cancellationToken);
        return loaded;
    }

    public async Task SaveAsync(CatalogMark through, IReadOnlyList<CatalogEntry> entries, IReadOnlyCollection<StreamInfo> streams, IReadOnlyCollection<KeyValuePair<string, long>> statements, CancellationToken cancellationToken)
    {
        if (entries.Count > 0 && entries[0].Position == 1)
        {
            // The log's first event, learnt after a state opened while the ledger was empty: the state belongs to this log now.
            await StateLogOrigin.For(new StateFile(path)).CheckAsync(through.Origin, cancellationToken);
        }

        await UseAsync(
            async db =>
            {
                await using var transaction = db.BeginTransaction(deferred: false);
                await using (var insert = Command(db, transaction, "INSERT OR IGNORE INTO esdb_catalog_events VALUES ($position, $commit, $prepare, $matter, $version)", "$position", "$commit", "$prepare", "$matter", "$version"))
                {
                    foreach (var e in entries)
                    {
                        await RunAsync(insert, cancellationToken, e.Position, (long)e.Commit, (long)e.Prepare, e.Matter, e.Version);
                    }
                }

                await using (var stream = Command(db, transaction, """
                    INSERT INTO esdb_catalog_streams VALUES ($matter, $organization, $version)
                    ON CONFLICT (matter) DO UPDATE SET version = max(version, excluded.version)
                    """, "$matter", "$organization", "$version"))
                {
                    foreach (var s in streams)
                    {
                        await RunAsync(stream, cancellationToken, s.Stream, s.Organization, s.Version);
                    }
                }

                await using (var statement = Command(db, transaction, "INSERT OR IGNORE INTO esdb_catalog_statements VALUES ($id, $position)", "$id", "$position"))
                {
                    foreach (var (id, position) in statements)
                    {
                        await RunAsync(statement, cancellationToken, id, position);
                    }
                }

                await using (var mark = Command(db, transaction, """
                    INSERT INTO esdb_catalog (only, prefix, count, commit_position, prepare_position, origin_event, origin_commit, origin_prepare, last_event)
                    VALUES (1, $prefix, $count, $commit, $prepare, $event, $originCommit, $originPrepare, $last)
                    ON CONFLICT (only) DO UPDATE SET count = excluded.count, commit_position = excluded.commit_position, prepare_position = excluded.prepare_position,
                        last_event = excluded.last_event
                    WHERE excluded.count > count
                    """, "$prefix", "$count", "$commit", "$prepare", "$event", "$originCommit", "$originPrepare", "$last"))
                {
                    await RunAsync(mark, cancellationToken, through.Prefix, through.Count, (long)through.Commit, (long)through.Prepare,
                        through.Origin.EventId, (long)through.Origin.CommitPosition, (long)through.Origin.PreparePosition, (object?)through.LastEventId ?? DBNull.Value);
                }

                await transaction.CommitAsync(cancellationToken);
                return true;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<CatalogEntry>> RangeAsync(long from, int count, CancellationToken cancellationToken) =>
        UseAsync<IReadOnlyList<CatalogEntry>>(
            async db =>
            {
                await using var command = Command(db, null, "SELECT position, commit_position, prepare_position, matter, version FROM esdb_catalog_events WHERE position >= $from ORDER BY position LIMIT $count", "$from", "$count");
                command.Parameters["$from"].Value = from;
                command.Parameters["$count"].Value = count;
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var entries = new List<CatalogEntry>(Math.Min(count, 1000));
                while (await reader.ReadAsync(cancellationToken))
                {
                    entries.Add(new CatalogEntry(reader.GetInt64(0), (ulong)reader.GetInt64(1), (ulong)reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4)));
                }

                return entries;
            },
            cancellationToken);

    public Task<long?> FindAsync(ulong commit, ulong prepare, CancellationToken cancellationToken) =>
        ScalarAsync("SELECT position FROM esdb_catalog_events WHERE commit_position = $a AND prepare_position = $b", (long)commit, (long)prepare, cancellationToken);

    public Task<long?> PositionOfAsync(string matter, long version, CancellationToken cancellationToken) =>
        ScalarAsync("SELECT position FROM esdb_catalog_events WHERE matter = $a AND version = $b", matter, version, cancellationToken);

    public Task<long?> StatementAsync(string statementId, CancellationToken cancellationToken) =>
        ScalarAsync("SELECT position FROM esdb_catalog_statements WHERE statement_id = $a", statementId, null, cancellationToken);

    public Task<IReadOnlyList<StreamInfo>> StreamsAsync(CancellationToken cancellationToken) =>
        UseAsync<IReadOnlyList<StreamInfo>>(
            async db =>
            {
                await using var command = db.CreateCommand();
                command.CommandText = "SELECT matter, organization, version FROM esdb_catalog_streams ORDER BY matter";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var streams = new List<StreamInfo>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    streams.Add(new StreamInfo(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
                }

                return streams;
            },
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        gate.Dispose();
    }

    private Task<long?> ScalarAsync(string sql, object a, object? b, CancellationToken cancellationToken) =>
        UseAsync(
            async db =>
            {
                await using var command = Command(db, null, sql, "$a", "$b");
                command.Parameters["$a"].Value = a;
                command.Parameters["$b"].Value = b ?? DBNull.Value;
                return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : (long?)null;
            },
            cancellationToken);

    private static SqliteCommand Command(SqliteConnection db, SqliteTransaction? transaction, string sql, params string[] parameters)
    {
        var command = db.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static async Task RunAsync(SqliteCommand command, CancellationToken cancellationToken, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs on the one connection, opened (and the tables made) on first use.</summary>
    private async Task<T> UseAsync<T>(Func<SqliteConnection, Task<T>> use, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (connection is null)
            {
                var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30, Pooling = false }.ToString());
                await db.OpenAsync(cancellationToken);
                await using (var schema = db.CreateCommand())
                {
                    schema.CommandText = $"PRAGMA journal_mode=WAL; {Schema}";
                    await schema.ExecuteNonQueryAsync(cancellationToken);
                }

                // A state saved before the mark kept its event's id gets the column (empty until the next save).
                await using (var upgrade = db.CreateCommand())
                {
                    upgrade.CommandText = "SELECT count(*) FROM pragma_table_info('esdb_catalog') WHERE name = 'last_event'";
                    if (await upgrade.ExecuteScalarAsync(cancellationToken) is 0L)
                    {
                        upgrade.CommandText = "ALTER TABLE esdb_catalog ADD COLUMN last_event TEXT";
                        await upgrade.ExecuteNonQueryAsync(cancellationToken);
                    }
                }

                connection = db;
            }

            return await use(connection);
        }
        finally
        {
            gate.Release();
        }
    }
}
