using Npgsql;

namespace Ledger.Store.Marten;

/// <summary>API keys in the ledger's PostgreSQL schema, shared by every server.</summary>
public sealed class PostgresApiKeyStore : IApiKeyStore
{
    private const long SchemaLock = 7236587311;
    private readonly NpgsqlDataSource dataSource;
    private readonly string schemaName;
    private readonly string table;
    private readonly Lazy<Task> schema;

    public PostgresApiKeyStore(string connectionString, string schemaName)
    {
        dataSource = NpgsqlDataSource.Create(connectionString);
        this.schemaName = schemaName;
        table = $"{schemaName}.api_keys";
        schema = new Lazy<Task>(CreateSchemaAsync);
    }

    public async Task<CreatedApiKey> CreateAsync(string owner, string role, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        var (id, secret) = ApiKeyStores.Generate();
        await using var command = dataSource.CreateCommand($"INSERT INTO {table} (id, owner, role, sha256, created_at) VALUES ($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ApiKeyStores.Hash(secret) });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new CreatedApiKey(new ApiKey(id, owner, role, now, null), secret);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        await using var command = dataSource.CreateCommand($"SELECT id, owner, role, created_at, revoked_at FROM {table} ORDER BY created_at, id");
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        await using var command = dataSource.CreateCommand($"UPDATE {table} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<ApiKey?> FindAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken);
        await using var command = dataSource.CreateCommand($"SELECT id, owner, role, created_at, revoked_at FROM {table} WHERE sha256 = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sha256 });
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private static async Task<IReadOnlyList<ApiKey>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKey(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return keys;
    }

    private async Task CreateSchemaAsync()
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // Servers starting together would race on CREATE ... IF NOT EXISTS; the lock makes them take turns.
        await using var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock({SchemaLock});
            CREATE SCHEMA IF NOT EXISTS {schemaName};
            CREATE TABLE IF NOT EXISTS {table} (
                id text PRIMARY KEY,
                owner text NOT NULL,
                role text NOT NULL,
                sha256 text NOT NULL UNIQUE,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz
            );
            """,
            connection,
            transaction);
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
}
