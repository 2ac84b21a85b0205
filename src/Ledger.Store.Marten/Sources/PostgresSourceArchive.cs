using Ledger.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Store.Marten;

/// <summary>
/// Archived sources in a table of the ledger's PostgreSQL schema (bytea, not a Marten document: JSON would carry the
/// bytes as base64), keyed by their SHA-256; a trigger refuses updates and deletes.
/// </summary>
public sealed class PostgresSourceArchive : ISourceArchive
{
    private const long SchemaLock = 7236587310;
    private readonly NpgsqlDataSource dataSource;
    private readonly string table;

    private PostgresSourceArchive(NpgsqlDataSource dataSource, string schema)
    {
        this.dataSource = dataSource;
        table = $"{schema}.source_archive";
    }

    public static async Task<PostgresSourceArchive> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        var archive = new PostgresSourceArchive(NpgsqlDataSource.Create(connectionString), schema);
        try
        {
            await using var connection = await archive.dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Servers starting together would race on CREATE ... IF NOT EXISTS; the lock makes them take turns.
            await using var command = new NpgsqlCommand(
                $"""
                SELECT pg_advisory_xact_lock({SchemaLock});
                CREATE SCHEMA IF NOT EXISTS {schema};
                CREATE TABLE IF NOT EXISTS {archive.table} (
                    sha256 text PRIMARY KEY,
                    media_type text NOT NULL,
                    length bigint NOT NULL,
                    bytes bytea NOT NULL
                );
                CREATE OR REPLACE FUNCTION {schema}.source_archive_is_immutable() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN RAISE EXCEPTION 'archived sources are immutable and never deleted'; END $$;
                CREATE OR REPLACE TRIGGER source_archive_is_immutable BEFORE UPDATE OR DELETE ON {archive.table}
                    FOR EACH ROW EXECUTE FUNCTION {schema}.source_archive_is_immutable();
                """,
                connection,
                transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return archive;
        }
        catch
        {
            await archive.DisposeAsync();
            throw;
        }
    }

    public async Task<string> PutAsync(ReadOnlyMemory<byte> bytes, string mediaType, CancellationToken cancellationToken = default)
    {
        var sha256 = Hashing.Sha256Hex(bytes.Span);
        await using var command = dataSource.CreateCommand(
            $"INSERT INTO {table} (sha256, media_type, length, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = sha256 });
        command.Parameters.Add(new NpgsqlParameter { Value = mediaType });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)bytes.Length });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = bytes.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return sha256;
    }

    public async Task<ArchivedBytes?> GetAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT media_type, bytes FROM {table} WHERE sha256 = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sha256 });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? SourceArchives.Checked(sha256, reader.GetString(0), await reader.GetFieldValueAsync<byte[]>(1, cancellationToken))
            : null;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
