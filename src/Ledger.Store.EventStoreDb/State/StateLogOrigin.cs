using Microsoft.Data.Sqlite;
using Npgsql;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// Which EventStoreDB log a state store belongs to: the ledger's origin (<see cref="LedgerOrigin"/>), recorded in the state
/// the first time it is seen there. Everything the state keeps (the Merkle tree, the relay's checkpoint, the read models)
/// counts positions of that log; against another one (an in-memory node restarted empty, another cluster) it would read
/// as tampering, so opening it there fails instead.
/// </summary>
internal abstract class StateLogOrigin
{
    public static StateLogOrigin For(StateLocation state) =>
        state switch
        {
            StateFile file => new InSqlite(file.Path),
            StateDatabase database => new InPostgres(database.ConnectionString, database.Schema),
            _ => throw new InvalidOperationException($"the state of an EventStoreDB ledger is SQLite or PostgreSQL, not {state}"),
        };

    /// <summary>Records the origin (null while the log's ledger is empty) when the state has none yet, and checks it against the one it has.</summary>
    /// <exception cref="StateOfAnotherLogException">The state belongs to another log.</exception>
    public async Task CheckAsync(LedgerOrigin? origin, CancellationToken cancellationToken)
    {
        var recorded = await RecordAsync(origin?.ToString(), cancellationToken);
        if (recorded is not null && recorded != origin?.ToString())
        {
            throw Refusal(Describe, recorded, origin);
        }
    }

    /// <summary>What opening a state (described so) that belongs to the log that began with <paramref name="recorded"/> says against the node's.</summary>
    public static StateOfAnotherLogException Refusal(string describe, string recorded, LedgerOrigin? origin) =>
        new($"the state store ({describe}) belongs to the EventStoreDB ledger that began with {recorded}, but this node's ledger "
            + (origin is null ? "is empty" : $"begins with {origin}")
            + ": it is another log (a node restarted without its data, or another cluster), not a changed one. "
            + $"Give this ledger a state store of its own ({EventStoreDbBackend.StateVariable}), or move this one aside to start afresh.");

    /// <summary>What opening a state whose <paramref name="holds"/> (" holds …", "'s tree holds …") says against a node that has lost some of it for this <paramref name="reason"/>.</summary>
    public static StateOfAnotherLogException LostWrites(string holds, string reason) =>
        new($"the state store{holds}, but {reason}: the node has lost writes the state had seen (an in-memory node restarted, "
            + "or a failover that truncated its log), not changed them. The state's Merkle tree and read models count events the node no longer has. "
            + $"Restore the node's data, or give this ledger a state store of its own ({EventStoreDbBackend.StateVariable}) or move this one aside to start afresh.");

    protected abstract string Describe { get; }

    /// <summary>Stores the origin unless one is stored already (or it is null); returns the one stored now.</summary>
    protected abstract Task<string?> RecordAsync(string? origin, CancellationToken cancellationToken);

    private sealed class InSqlite(string path) : StateLogOrigin
    {
        protected override string Describe => path;

        protected override async Task<string?> RecordAsync(string? origin, CancellationToken cancellationToken)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30 }.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS esdb_log_origin (only INTEGER PRIMARY KEY CHECK (only = 1), origin TEXT NOT NULL);
                INSERT OR IGNORE INTO esdb_log_origin (only, origin) SELECT 1, $origin WHERE $origin IS NOT NULL;
                SELECT origin FROM esdb_log_origin;
                """;
            command.Parameters.AddWithValue("$origin", (object?)origin ?? DBNull.Value);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
    }

    private sealed class InPostgres(string connectionString, string schema) : StateLogOrigin
    {
        private string Table => $"{schema}.esdb_log_origin";

        protected override string Describe => "PostgreSQL";

        protected override async Task<string?> RecordAsync(string? origin, CancellationToken cancellationToken)
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using (var create = dataSource.CreateCommand(
                $"CREATE SCHEMA IF NOT EXISTS {schema}; CREATE TABLE IF NOT EXISTS {Table} (only_row boolean PRIMARY KEY CHECK (only_row), origin text NOT NULL)"))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            if (origin is not null)
            {
                await using var record = dataSource.CreateCommand($"INSERT INTO {Table} (only_row, origin) VALUES (true, $1) ON CONFLICT DO NOTHING");
                record.Parameters.Add(new NpgsqlParameter { Value = origin });
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var read = dataSource.CreateCommand($"SELECT origin FROM {Table}");
            return await read.ExecuteScalarAsync(cancellationToken) as string;
        }
    }
}
