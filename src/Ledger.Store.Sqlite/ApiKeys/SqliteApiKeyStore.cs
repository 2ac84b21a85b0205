using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>API keys in the ledger's own SQLite file.</summary>
public sealed class SqliteApiKeyStore : IApiKeyStore
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            role TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        """;

    private readonly string connectionString;
    private readonly Lazy<Task> schema;

    public SqliteApiKeyStore(string path)
    {
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        schema = new Lazy<Task>(CreateSchemaAsync);
    }

    public async Task<CreatedApiKey> CreateAsync(string owner, string role, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (id, secret) = ApiKeyStores.Generate();
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO api_keys (id, owner, role, sha256, created_at) VALUES ($id, $owner, $role, $sha, $created)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$owner", owner);
        command.Parameters.AddWithValue("$role", role);
        command.Parameters.AddWithValue("$sha", ApiKeyStores.Hash(secret));
        command.Parameters.AddWithValue("$created", Format(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new CreatedApiKey(new ApiKey(id, owner, role, now, null), secret);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, owner, role, created_at, revoked_at FROM api_keys ORDER BY created_at, id";
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE api_keys SET revoked_at = $now WHERE id = $id AND revoked_at IS NULL";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", Format(now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<ApiKey?> FindAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, owner, role, created_at, revoked_at FROM api_keys WHERE sha256 = $sha";
        command.Parameters.AddWithValue("$sha", sha256);
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task<IReadOnlyList<ApiKey>> ReadAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), Parse(reader.GetString(3)), reader.IsDBNull(4) ? null : Parse(reader.GetString(4))));
        }

        return keys;
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private async Task CreateSchemaAsync()
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Schema;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        await schema.Value.WaitAsync(cancellationToken);
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
