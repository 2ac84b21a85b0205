using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>Subscriptions and the delivery log in the ledger's SQLite file.</summary>
public sealed class SqliteWebhookStore : IWebhookStore
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS webhook_subscriptions (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            matters TEXT NOT NULL,
            organizations TEXT NOT NULL,
            types TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            removed_at TEXT,
            delivered_through INTEGER NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT
        );
        CREATE TABLE IF NOT EXISTS webhook_attempts (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            at TEXT NOT NULL,
            status_code INTEGER,
            error TEXT,
            duration_ms REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS webhook_attempts_by_subscription ON webhook_attempts (subscription_id, sequence);
        """;

    private const string Columns = "id, url, secret, matters, organizations, types, created_by, created_at, removed_at, delivered_through, failed_attempts, next_attempt_at, last_error";

    private readonly string connectionString;

    private SqliteWebhookStore(string path) =>
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();

    public static async Task<SqliteWebhookStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var store = new SqliteWebhookStore(path);
        await store.ExecuteAsync("PRAGMA journal_mode=WAL;" + Schema, _ => { }, cancellationToken);
        return store;
    }

    public Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            $"INSERT INTO webhook_subscriptions ({Columns}) VALUES ($id, $url, $secret, $matters, $organizations, $types, $by, $at, NULL, $through, 0, NULL, NULL)",
            p =>
            {
                p.AddWithValue("$id", subscription.Id);
                p.AddWithValue("$url", subscription.Url);
                p.AddWithValue("$secret", subscription.Secret);
                p.AddWithValue("$matters", JsonSerializer.Serialize(subscription.Matters));
                p.AddWithValue("$organizations", JsonSerializer.Serialize(subscription.Organizations));
                p.AddWithValue("$types", JsonSerializer.Serialize(subscription.Types));
                p.AddWithValue("$by", subscription.CreatedBy);
                p.AddWithValue("$at", Format(subscription.CreatedAt));
                p.AddWithValue("$through", subscription.DeliveredThrough);
            },
            cancellationToken);

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken = default) =>
        await QueryAsync($"SELECT {Columns} FROM webhook_subscriptions ORDER BY created_at, id", _ => { }, ReadSubscription, cancellationToken);

    public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await QueryAsync($"SELECT {Columns} FROM webhook_subscriptions WHERE id = $id", p => p.AddWithValue("$id", id), ReadSubscription, cancellationToken)).SingleOrDefault();

    public async Task<bool> RemoveAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await ExecuteAsync(
            "UPDATE webhook_subscriptions SET removed_at = $at WHERE id = $id AND removed_at IS NULL",
            p =>
            {
                p.AddWithValue("$id", id);
                p.AddWithValue("$at", Format(at));
            },
            cancellationToken) == 1;

    public Task AdvanceAsync(string id, long position, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            "UPDATE webhook_subscriptions SET delivered_through = max(delivered_through, $position), failed_attempts = 0, next_attempt_at = NULL, last_error = NULL WHERE id = $id",
            p =>
            {
                p.AddWithValue("$id", id);
                p.AddWithValue("$position", position);
            },
            cancellationToken);

    public Task RecordFailureAsync(string id, int failedAttempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            "UPDATE webhook_subscriptions SET failed_attempts = $attempts, next_attempt_at = $next, last_error = $error WHERE id = $id",
            p =>
            {
                p.AddWithValue("$id", id);
                p.AddWithValue("$attempts", failedAttempts);
                p.AddWithValue("$next", Format(nextAttemptAt));
                p.AddWithValue("$error", error);
            },
            cancellationToken);

    public Task LogAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            "INSERT INTO webhook_attempts (subscription_id, position, message_id, attempt, at, status_code, error, duration_ms) VALUES ($sub, $position, $message, $attempt, $at, $status, $error, $duration)",
            p =>
            {
                p.AddWithValue("$sub", attempt.SubscriptionId);
                p.AddWithValue("$position", attempt.Position);
                p.AddWithValue("$message", attempt.MessageId);
                p.AddWithValue("$attempt", attempt.Attempt);
                p.AddWithValue("$at", Format(attempt.At));
                p.AddWithValue("$status", (object?)attempt.StatusCode ?? DBNull.Value);
                p.AddWithValue("$error", (object?)attempt.Error ?? DBNull.Value);
                p.AddWithValue("$duration", attempt.DurationMs);
            },
            cancellationToken);

    public async Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(string id, int limit, CancellationToken cancellationToken = default) =>
        await QueryAsync(
            "SELECT sequence, subscription_id, position, message_id, attempt, at, status_code, error, duration_ms FROM webhook_attempts WHERE subscription_id = $id ORDER BY sequence DESC LIMIT $limit",
            p =>
            {
                p.AddWithValue("$id", id);
                p.AddWithValue("$limit", limit);
            },
            r => new WebhookAttempt(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4), Parse(r.GetString(5)),
                r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : r.GetString(7), r.GetDouble(8)),
            cancellationToken);

    public async Task<bool> AcknowledgedAsync(string id, string messageId, CancellationToken cancellationToken = default) =>
        (await QueryAsync(
            "SELECT count(*) FROM webhook_attempts WHERE subscription_id = $id AND message_id = $message AND status_code BETWEEN 200 AND 299",
            p =>
            {
                p.AddWithValue("$id", id);
                p.AddWithValue("$message", messageId);
            },
            r => r.GetInt64(0),
            cancellationToken)).Single() > 0;

    /// <summary>Within this process; on SQLite only the leading worker (it holds the ledger's lock file) delivers.</summary>
    public async Task<IAsyncDisposable?> TryLockDeliveriesAsync(string id, CancellationToken cancellationToken = default)
    {
        var gate = Gates.GetOrAdd((connectionString, id), _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(TimeSpan.Zero, cancellationToken) ? new Release(gate) : null;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), SemaphoreSlim> Gates = new();

    private sealed class Release(SemaphoreSlim gate) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            gate.Release();
            return ValueTask.CompletedTask;
        }
    }

    private static WebhookSubscription ReadSubscription(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2),
        JsonSerializer.Deserialize<string[]>(r.GetString(3))!, JsonSerializer.Deserialize<string[]>(r.GetString(4))!, JsonSerializer.Deserialize<string[]>(r.GetString(5))!,
        r.GetString(6), Parse(r.GetString(7)), r.IsDBNull(8) ? null : Parse(r.GetString(8)), r.GetInt64(9), r.GetInt32(10),
        r.IsDBNull(11) ? null : Parse(r.GetString(11)), r.IsDBNull(12) ? null : r.GetString(12));

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private async Task<int> ExecuteAsync(string sql, Action<SqliteParameterCollection> bind, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command.Parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Action<SqliteParameterCollection> bind, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
