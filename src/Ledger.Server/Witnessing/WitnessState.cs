using System.Globalization;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Server.Witnessing;

/// <summary>
/// The witness's memory, one SQLite file: per log origin, the log key it trusted and the size and root of the latest
/// checkpoint it cosigned. A request is decided and its new state committed in one write transaction (BEGIN
/// IMMEDIATE, synchronous=FULL) before the cosignature leaves, so a witness killed at any moment never cosigns a
/// checkpoint it then forgets, and two requests can never roll the size back (C2SP tlog-witness's race).
/// </summary>
public sealed class WitnessState : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS witnessed (
            origin TEXT PRIMARY KEY,
            log_key TEXT NOT NULL,
            tree_size INTEGER NOT NULL,
            root_hash BLOB NOT NULL,
            cosigned_at TEXT NOT NULL);
        """;

    private readonly string connectionString;
    private readonly SemaphoreSlim writing = new(1, 1);

    private WitnessState(string connectionString) => this.connectionString = connectionString;

    public static async Task<WitnessState> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var state = new WitnessState(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        await using var connection = await state.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; " + Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
        return state;
    }

    /// <summary>The latest cosigned checkpoint of a log; null when none was.</summary>
    public async Task<WitnessedCheckpoint?> LatestAsync(string origin, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await ReadAsync(connection, null, origin, cancellationToken);
    }

    /// <summary>Decides the request against the kept state and keeps the new state, in one transaction committed before returning.</summary>
    public async Task<AddCheckpointOutcome> SubmitAsync(AddCheckpointRequest request, string origin, IReadOnlyCollection<NoteVerifier> logKeys, WitnessSigner witness,
        DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logKeys);
        await writing.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenConnectionAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(deferred: false);
            var latest = await ReadAsync(connection, transaction, origin, cancellationToken);
            var outcome = AddCheckpoint.Decide(request, logKeys, latest, witness, now);
            if (outcome.Cosigned is { } cosigned)
            {
                await using var write = connection.CreateCommand();
                write.Transaction = transaction;
                write.CommandText = """
                    INSERT INTO witnessed (origin, log_key, tree_size, root_hash, cosigned_at) VALUES ($origin, $key, $size, $root, $at)
                    ON CONFLICT (origin) DO UPDATE SET log_key = excluded.log_key, tree_size = excluded.tree_size, root_hash = excluded.root_hash, cosigned_at = excluded.cosigned_at;
                    """;
                write.Parameters.AddWithValue("$origin", cosigned.Origin);
                write.Parameters.AddWithValue("$key", string.Join(' ', logKeys.Select(k => k.ToString())));
                write.Parameters.AddWithValue("$size", cosigned.Size);
                write.Parameters.AddWithValue("$root", cosigned.RootHash);
                write.Parameters.AddWithValue("$at", now.ToString("O", CultureInfo.InvariantCulture));
                await write.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return outcome;
        }
        finally
        {
            writing.Release();
        }
    }

    public void Dispose() => writing.Dispose();

    private static async Task<WitnessedCheckpoint?> ReadAsync(SqliteConnection connection, SqliteTransaction? transaction, string origin, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT tree_size, root_hash FROM witnessed WHERE origin = $origin";
        read.Parameters.AddWithValue("$origin", origin);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new WitnessedCheckpoint(origin, reader.GetInt64(0), (byte[])reader[1]) : null;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // FULL: a commit is on disk before the cosignature is returned, even in WAL mode.
        command.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
