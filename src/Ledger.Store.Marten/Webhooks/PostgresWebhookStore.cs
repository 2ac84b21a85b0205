using System.Data.Common;
using System.Text.Json;
using Npgsql;

namespace Ledger.Store.Marten;

/// <summary>Subscriptions and the delivery log in the ledger's PostgreSQL schema.</summary>
public sealed class PostgresWebhookStore : IWebhookStore
{
    private const long SchemaLock = 7236587303;
    private const string Columns = "id, url, secret, matters, organizations, types, created_by, created_at, removed_at, delivered_through, failed_attempts, next_attempt_at, last_error";
    private readonly NpgsqlDataSource dataSource;
    private readonly string subscriptions;
    private readonly string attempts;

    private PostgresWebhookStore(NpgsqlDataSource dataSource, string schema)
    {
        this.dataSource = dataSource;
        subscriptions = $"{schema}.webhook_subscriptions";
        attempts = $"{schema}.webhook_attempts";
    }

    public static async Task<PostgresWebhookStore> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        var store = new PostgresWebhookStore(NpgsqlDataSource.Create(connectionString), schema);
        await using var connection = await store.dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock({SchemaLock});
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {store.subscriptions} (
                id text PRIMARY KEY,
                url text NOT NULL,
                secret text NOT NULL,
                matters text NOT NULL,
                organizations text NOT NULL,
                types text NOT NULL,
                created_by text NOT NULL,
                created_at timestamptz NOT NULL,
                removed_at timestamptz,
                delivered_through bigint NOT NULL,
                failed_attempts integer NOT NULL DEFAULT 0,
                next_attempt_at timestamptz,
                last_error text
            );
            CREATE TABLE IF NOT EXISTS {store.attempts} (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                subscription_id text NOT NULL,
                position bigint NOT NULL,
                message_id text NOT NULL,
                attempt integer NOT NULL,
                at timestamptz NOT NULL,
                status_code integer,
                error text,
                duration_ms double precision NOT NULL
            );
            CREATE INDEX IF NOT EXISTS webhook_attempts_by_subscription ON {store.attempts} (subscription_id, sequence);
            """,
            connection,
            transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return store;
    }

    public Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            $"INSERT INTO {subscriptions} ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, 0, NULL, NULL)",
            [subscription.Id, subscription.Url, subscription.Secret, JsonSerializer.Serialize(subscription.Matters), JsonSerializer.Serialize(subscription.Organizations), JsonSerializer.Serialize(subscription.Types), subscription.CreatedBy, subscription.CreatedAt.ToUniversalTime(), subscription.DeliveredThrough],
            cancellationToken);

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT {Columns} FROM {subscriptions} ORDER BY created_at, id", [], ReadSubscription, cancellationToken);

    public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {Columns} FROM {subscriptions} WHERE id = $1", [id], ReadSubscription, cancellationToken)).SingleOrDefault();

    public async Task<bool> RemoveAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await ExecuteAsync($"UPDATE {subscriptions} SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL", [id, at.ToUniversalTime()], cancellationToken) == 1;

    public Task AdvanceAsync(string id, long position, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            $"UPDATE {subscriptions} SET delivered_through = greatest(delivered_through, $2), failed_attempts = 0, next_attempt_at = NULL, last_error = NULL WHERE id = $1",
            [id, position],
            cancellationToken);

    public Task RecordFailureAsync(string id, int failedAttempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            $"UPDATE {subscriptions} SET failed_attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1",
            [id, failedAttempts, nextAttemptAt.ToUniversalTime(), error],
            cancellationToken);

    public Task LogAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            $"INSERT INTO {attempts} (subscription_id, position, message_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [attempt.SubscriptionId, attempt.Position, attempt.MessageId, attempt.Attempt, attempt.At.ToUniversalTime(), (object?)attempt.StatusCode ?? DBNull.Value, (object?)attempt.Error ?? DBNull.Value, attempt.DurationMs],
            cancellationToken);

    public async Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(string id, int limit, CancellationToken cancellationToken = default) =>
        await QueryAsync(
            $"SELECT sequence, subscription_id, position, message_id, attempt, at, status_code, error, duration_ms FROM {attempts} WHERE subscription_id = $1 ORDER BY sequence DESC LIMIT $2",
            [id, limit],
            r => new WebhookAttempt(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4), r.GetFieldValue<DateTimeOffset>(5),
                r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetDouble(8)),
            cancellationToken);

    public async Task<bool> AcknowledgedAsync(string id, string messageId, CancellationToken cancellationToken = default) =>
        (await QueryAsync(
            $"SELECT count(*) FROM {attempts} WHERE subscription_id = $1 AND message_id = $2 AND status_code BETWEEN 200 AND 299",
            [id, messageId],
            r => r.GetInt64(0),
            cancellationToken)).Single() > 0;

    /// <summary>A session-level advisory lock on its own connection, held for the delivery round; freed if the process dies.</summary>
    public async Task<IAsyncDisposable?> TryLockDeliveriesAsync(string id, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var key = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("ledger:webhook:" + id)), 0);
        await using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new Lease(connection, key);
            }
        }

        await connection.DisposeAsync();
        return null;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private sealed class Lease(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = key });
                await command.ExecuteScalarAsync();
            }

            await connection.DisposeAsync();
        }
    }

    private static WebhookSubscription ReadSubscription(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2),
        JsonSerializer.Deserialize<string[]>(r.GetString(3))!, JsonSerializer.Deserialize<string[]>(r.GetString(4))!, JsonSerializer.Deserialize<string[]>(r.GetString(5))!,
        r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.GetInt64(9), r.GetInt32(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetString(12));

    private async Task<int> ExecuteAsync(string sql, object[] values, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<T>> QueryAsync<T>(string sql, object[] values, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
