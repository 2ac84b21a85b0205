using Ledger.Storage;
using Npgsql;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// An EventStoreDB ledger's catalogue in its PostgreSQL state (see <see cref="SqliteCatalogStore"/> for what it holds),
/// shared by every worker and server of the ledger: rows are facts of one log, so two processes saving the same
/// positions write the same rows, and the mark only moves forward. Bound to its log like the SQLite one.
/// </summary>
internal sealed class PostgresCatalogStore : ICatalogStore
{
    private const long SchemaLock = 7236587321;
    private readonly NpgsqlDataSource dataSource;
    private readonly string schema;
    private readonly StateDatabase state;
    private readonly Lazy<Task> created;

    public PostgresCatalogStore(string connectionString, string schema)
    {
        dataSource = NpgsqlDataSource.Create(connectionString);
        state = new StateDatabase(connectionString, schema);
        this.schema = schema;
        created = new Lazy<Task>(CreateAsync);
    }

    private string Mark => $"{schema}.esdb_catalog";

    private string Events => $"{schema}.esdb_catalog_events";

    private string Streams => $"{schema}.esdb_catalog_streams";

    private string Statements => $"{schema}.esdb_catalog_statements";

    public async Task<CatalogMark?> LoadAsync(string prefix, LedgerOrigin? origin, CancellationToken cancellationToken)
    {
        await created.Value.WaitAsync(cancellationToken);
        CatalogMark? loaded = null;
        await using (var command = dataSource.CreateCommand($"SELECT {CatalogMarks.Columns} FROM {Mark}"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                loaded = CatalogMarks.OfLedger(reader, prefix, origin, "PostgreSQL");
            }
        }

        await StateLogOrigin.For(state).CheckAsync(origin, cancellationToken);
        return loaded;
    }

    public async Task SaveAsync(CatalogMark through, IReadOnlyList<CatalogEntry> entries, IReadOnlyCollection<StreamInfo> streams, IReadOnlyCollection<KeyValuePair<string, long>> statements, CancellationToken cancellationToken)
    {
        await created.Value.WaitAsync(cancellationToken);
        if (entries.Count > 0 && entries[0].Position == 1)
        {
            // The log's first event, learnt after a state opened while the ledger was empty: the state belongs to this log now.
            await StateLogOrigin.For(state).CheckAsync(through.Origin, cancellationToken);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        // Whole arrays per statement: one round trip saves a batch of thousands of entries.
        batch.BatchCommands.Add(Command(
            $"""
            INSERT INTO {Events} SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[])
            ON CONFLICT (position) DO NOTHING
            """,
            entries.Select(e => e.Position).ToArray(), entries.Select(e => (long)e.Commit).ToArray(), entries.Select(e => (long)e.Prepare).ToArray(),
            entries.Select(e => e.Matter).ToArray(), entries.Select(e => e.Version).ToArray()));
        batch.BatchCommands.Add(Command(
            $"""
            INSERT INTO {Streams} AS s SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
            ON CONFLICT (matter) DO UPDATE SET version = greatest(s.version, excluded.version)
            """,
            streams.Select(s => s.Stream).ToArray(), streams.Select(s => s.Organization).ToArray(), streams.Select(s => s.Version).ToArray()));
        batch.BatchCommands.Add(Command(
            $"INSERT INTO {Statements} SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (statement_id) DO NOTHING",
            statements.Select(s => s.Key).ToArray(), statements.Select(s => s.Value).ToArray()));
        batch.BatchCommands.Add(Command(
            $"""
            INSERT INTO {Mark} AS m (only_row, prefix, count, commit_position, prepare_position, origin_event, origin_commit, origin_prepare, last_event)
            VALUES (true, $1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (only_row) DO UPDATE SET count = excluded.count, commit_position = excluded.commit_position, prepare_position = excluded.prepare_position,
                last_event = excluded.last_event
            WHERE excluded.count > m.count
            """,
            through.Prefix, through.Count, (long)through.Commit, (long)through.Prepare, through.Origin.EventId, (long)through.Origin.CommitPosition, (long)through.Origin.PreparePosition,
            (object?)through.LastEventId ?? DBNull.Value));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CatalogEntry>> RangeAsync(long from, int count, CancellationToken cancellationToken)
    {
        await created.Value.WaitAsync(cancellationToken);
        await using var command = dataSource.CreateCommand($"SELECT position, commit_position, prepare_position, matter, version FROM {Events} WHERE position >= $1 ORDER BY position LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<CatalogEntry>(Math.Min(count, 1000));
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new CatalogEntry(reader.GetInt64(0), (ulong)reader.GetInt64(1), (ulong)reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4)));
        }

        return entries;
    }

    public Task<long?> FindAsync(ulong commit, ulong prepare, CancellationToken cancellationToken) =>
        PositionAsync($"SELECT position FROM {Events} WHERE commit_position = $1 AND prepare_position = $2", cancellationToken, (long)commit, (long)prepare);

    public Task<long?> PositionOfAsync(string matter, long version, CancellationToken cancellationToken) =>
        PositionAsync($"SELECT position FROM {Events} WHERE matter = $1 AND version = $2", cancellationToken, matter, version);

    public Task<long?> StatementAsync(string statementId, CancellationToken cancellationToken) =>
        PositionAsync($"SELECT position FROM {Statements} WHERE statement_id = $1", cancellationToken, statementId);

    public async Task<IReadOnlyList<StreamInfo>> StreamsAsync(CancellationToken cancellationToken)
    {
        await created.Value.WaitAsync(cancellationToken);
        await using var command = dataSource.CreateCommand($"SELECT matter, organization, version FROM {Streams} ORDER BY matter");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var streams = new List<StreamInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            streams.Add(new StreamInfo(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return streams;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private async Task<long?> PositionAsync(string sql, CancellationToken cancellationToken, params object[] values)
    {
        await created.Value.WaitAsync(cancellationToken);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : null;
    }

    private async Task CreateAsync()
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // Processes opening the state together would race on CREATE ... IF NOT EXISTS; the lock makes them take turns.
        await using var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock({SchemaLock});
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {Mark} (only_row boolean PRIMARY KEY CHECK (only_row), prefix text NOT NULL, origin_event text NOT NULL,
                origin_commit bigint NOT NULL, origin_prepare bigint NOT NULL, count bigint NOT NULL, commit_position bigint NOT NULL, prepare_position bigint NOT NULL);
            ALTER TABLE {Mark} ADD COLUMN IF NOT EXISTS last_event text;
            CREATE TABLE IF NOT EXISTS {Events} (position bigint PRIMARY KEY, commit_position bigint NOT NULL, prepare_position bigint NOT NULL,
                matter text NOT NULL, version bigint NOT NULL);
            CREATE INDEX IF NOT EXISTS esdb_catalog_events_at ON {Events} (commit_position, prepare_position);
            CREATE INDEX IF NOT EXISTS esdb_catalog_events_version ON {Events} (matter, version);
            CREATE TABLE IF NOT EXISTS {Streams} (matter text PRIMARY KEY, organization text NOT NULL, version bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS {Statements} (statement_id text PRIMARY KEY, position bigint NOT NULL);
            """,
            connection,
            transaction);
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
}
