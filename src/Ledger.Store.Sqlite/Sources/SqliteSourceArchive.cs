using Ledger.Storage;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>Archived sources in a table of the ledger's own SQLite file, keyed by their SHA-256; rows are only ever inserted.</summary>
public sealed class SqliteSourceArchive : ISourceArchive
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS source_archive (
            sha256 TEXT PRIMARY KEY,
            media_type TEXT NOT NULL,
            length INTEGER NOT NULL,
            bytes BLOB NOT NULL
        );
        """;

    private readonly string connectionString;

    private SqliteSourceArchive(string path) =>
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();

    public static async Task<SqliteSourceArchive> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var archive = new SqliteSourceArchive(path);
        await using var connection = await archive.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
        return archive;
    }

    public async Task<string> PutAsync(ReadOnlyMemory<byte> bytes, string mediaType, CancellationToken cancellationToken = default)
    {
        var sha256 = Hashing.Sha256Hex(bytes.Span);
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO source_archive (sha256, media_type, length, bytes) VALUES ($sha, $type, $length, $bytes) ON CONFLICT (sha256) DO NOTHING";
        command.Parameters.AddWithValue("$sha", sha256);
        command.Parameters.AddWithValue("$type", mediaType);
        command.Parameters.AddWithValue("$length", bytes.Length);
        command.Parameters.Add("$bytes", SqliteType.Blob).Value = bytes.ToArray();
        await command.ExecuteNonQueryAsync(cancellationToken);
        return sha256;
    }

    public async Task<ArchivedBytes?> GetAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT media_type, bytes FROM source_archive WHERE sha256 = $sha";
        command.Parameters.AddWithValue("$sha", sha256);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? SourceArchives.Checked(sha256, reader.GetString(0), (byte[])reader.GetValue(1))
            : null;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
