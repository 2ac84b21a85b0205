using System.Text.Json;
using Marten;
using Npgsql;

namespace Ledger.Store.Marten;

/// <summary>A subscription as a Marten document; changed only under optimistic concurrency.</summary>
public sealed class WebhookSubscriptionDocument
{
    public string Id { get; set; } = string.Empty;

    public string Url { get; set; } = string.Empty;

    public string Secret { get; set; } = string.Empty;

    public string[] Matters { get; set; } = [];

    public string[] Organizations { get; set; } = [];

    public string[] Types { get; set; } = [];

    public string CreatedBy { get; set; } = string.Empty;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RemovedAt { get; set; }

    public long DeliveredThrough { get; set; }

    public int FailedAttempts { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    public static WebhookSubscriptionDocument From(WebhookSubscription s) => new()
    {
        Id = s.Id,
        Url = s.Url,
        Secret = s.Secret,
        Matters = [.. s.Matters],
        Organizations = [.. s.Organizations],
        Types = [.. s.Types],
        CreatedBy = s.CreatedBy,
        CreatedAt = s.CreatedAt.ToUniversalTime(),
        RemovedAt = s.RemovedAt?.ToUniversalTime(),
        DeliveredThrough = s.DeliveredThrough,
        FailedAttempts = s.FailedAttempts,
        NextAttemptAt = s.NextAttemptAt?.ToUniversalTime(),
        LastError = s.LastError,
    };

    public WebhookSubscription ToSubscription() =>
        new(Id, Url, Secret, Matters, Organizations, Types, CreatedBy, CreatedAt, RemovedAt, DeliveredThrough, FailedAttempts, NextAttemptAt, LastError);
}

/// <summary>One delivery attempt as a Marten document; its numeric id (Marten's HiLo) is the attempt's sequence.</summary>
public sealed class WebhookAttemptDocument
{
    public long Id { get; set; }

    public string SubscriptionId { get; set; } = string.Empty;

    public long Position { get; set; }

    public string MessageId { get; set; } = string.Empty;

    public int Attempt { get; set; }

    public DateTimeOffset At { get; set; }

    public int? StatusCode { get; set; }

    public string? Error { get; set; }

    public double DurationMs { get; set; }

    public WebhookAttempt ToAttempt() => new(Id, SubscriptionId, Position, MessageId, Attempt, At, StatusCode, Error, DurationMs);
}

/// <summary>
/// Subscriptions and the delivery log as Marten documents in the ledger's PostgreSQL schema. A subscription's changes
/// (advance, failure, removal) load it and save it under Marten's optimistic concurrency, trying again after a
/// conflict. Attempts are listed newest first by their time, then their id: HiLo ids taken by two processes need
/// not grow in the order the attempts were made. The delivery lock is a PostgreSQL advisory lock, which no document
/// gives. What the former tables held is copied on first use; the tables are left in place.
/// </summary>
public sealed class PostgresWebhookStore : IWebhookStore
{
    private const string SubscriptionAlias = "ledger_webhook";
    private const string AttemptAlias = "ledger_webhook_attempt";
    private readonly DocumentStore store;
    private readonly NpgsqlDataSource dataSource;
    private readonly string schema;

    private PostgresWebhookStore(string connectionString, string schema)
    {
        store = DocumentStore.For(options => Configure(options, connectionString, schema));
        dataSource = NpgsqlDataSource.Create(connectionString);
        this.schema = schema;
    }

    public static async Task<PostgresWebhookStore> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        var opened = new PostgresWebhookStore(connectionString, schema);
        try
        {
            await MartenDocuments.PrepareAsync(opened.store, opened.dataSource, schema, [typeof(WebhookSubscriptionDocument), typeof(WebhookAttemptDocument)], opened.CopyTablesAsync)
                .WaitAsync(cancellationToken);
        }
        catch
        {
            await opened.DisposeAsync();
            throw;
        }

        return opened;
    }

    public async Task CreateAsync(WebhookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        await using var session = store.LightweightSession();
        session.Insert(WebhookSubscriptionDocument.From(subscription));
        await session.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var documents = await session.Query<WebhookSubscriptionDocument>().OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        return [.. documents.Select(s => s.ToSubscription())];
    }

    public async Task<WebhookSubscription?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return (await session.LoadAsync<WebhookSubscriptionDocument>(id, cancellationToken))?.ToSubscription();
    }

    public Task<bool> RemoveAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, s =>
        {
            if (s.RemovedAt is not null)
            {
                return false;
            }

            s.RemovedAt = at.ToUniversalTime();
            return true;
        }, cancellationToken);

    public Task AdvanceAsync(string id, long position, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, s =>
        {
            s.DeliveredThrough = Math.Max(s.DeliveredThrough, position);
            (s.FailedAttempts, s.NextAttemptAt, s.LastError) = (0, null, null);
            return true;
        }, cancellationToken);

    public Task RecordFailureAsync(string id, int failedAttempts, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, s =>
        {
            (s.FailedAttempts, s.NextAttemptAt, s.LastError) = (failedAttempts, nextAttemptAt.ToUniversalTime(), error);
            return true;
        }, cancellationToken);

    public async Task LogAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        await using var session = store.LightweightSession();
        session.Insert(new WebhookAttemptDocument
        {
            SubscriptionId = attempt.SubscriptionId,
            Position = attempt.Position,
            MessageId = attempt.MessageId,
            Attempt = attempt.Attempt,
            At = attempt.At.ToUniversalTime(),
            StatusCode = attempt.StatusCode,
            Error = attempt.Error,
            DurationMs = attempt.DurationMs,
        });
        await session.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WebhookAttempt>> AttemptsAsync(string id, int limit, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        var documents = await session.Query<WebhookAttemptDocument>().Where(a => a.SubscriptionId == id)
            .OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(limit).ToListAsync(cancellationToken);
        return [.. documents.Select(a => a.ToAttempt())];
    }

    public async Task<bool> AcknowledgedAsync(string id, string messageId, CancellationToken cancellationToken = default)
    {
        await using var session = store.QuerySession();
        return await session.Query<WebhookAttemptDocument>()
            .AnyAsync(a => a.SubscriptionId == id && a.MessageId == messageId && a.StatusCode >= 200 && a.StatusCode <= 299, cancellationToken);
    }

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

    public async ValueTask DisposeAsync()
    {
        await store.DisposeAsync();
        await dataSource.DisposeAsync();
    }

    private static void Configure(StoreOptions options, string connectionString, string schema)
    {
        MartenDocuments.Configure(options, connectionString, schema);
        options.Schema.For<WebhookSubscriptionDocument>()
            .DocumentAlias(SubscriptionAlias)
            .Duplicate(s => s.CreatedAt, notNull: true)
            .UseOptimisticConcurrency(true);
        options.Schema.For<WebhookAttemptDocument>()
            .DocumentAlias(AttemptAlias)
            .Duplicate(a => a.SubscriptionId, notNull: true)
            .Index(a => a.MessageId);
    }

    /// <summary>Loads a subscription, changes it unless <paramref name="change"/> declines, and saves it; after a conflict, again from the stored one.</summary>
    private async Task<bool> ChangeAsync(string id, Func<WebhookSubscriptionDocument, bool> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var session = store.LightweightSession();
            var document = await session.LoadAsync<WebhookSubscriptionDocument>(id, cancellationToken);
            if (document is null || !change(document))
            {
                return false;
            }

            session.Update(document);
            try
            {
                await session.SaveChangesAsync(cancellationToken);
                return true;
            }
            catch (Exception ex) when (MartenDocuments.IsConcurrencyConflict(ex))
            {
                // Another process changed the subscription since it was loaded: apply the change to what it stored.
            }
        }
    }

    /// <summary>
    /// Subscriptions and attempts of the former tables that are not documents yet (found in SQL, so that an open reads
    /// no more than what it copies); attempts keep their sequence as id, and new ones take ids above every id there is.
    /// </summary>
    private async Task CopyTablesAsync(NpgsqlConnection connection)
    {
        var subscriptions = $"{schema}.webhook_subscriptions";
        var attempts = $"{schema}.webhook_attempts";
        if (!await MartenDocuments.TableExistsAsync(connection, subscriptions) || !await MartenDocuments.TableExistsAsync(connection, attempts))
        {
            return;
        }

        // Marten names a document's table mt_doc_ and its alias.
        var subscriptionDocuments = $"{schema}.mt_doc_{SubscriptionAlias}";
        var attemptDocuments = $"{schema}.mt_doc_{AttemptAlias}";
        await using var session = store.LightweightSession();
        var copying = false;
        await using (var read = new NpgsqlCommand(
            $"""
            SELECT id, url, secret, matters, organizations, types, created_by, created_at, removed_at, delivered_through, failed_attempts, next_attempt_at, last_error
            FROM {subscriptions} s WHERE NOT EXISTS (SELECT 1 FROM {subscriptionDocuments} d WHERE d.id = s.id)
            """,
            connection))
        await using (var r = await read.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                copying = true;
                session.Insert(WebhookSubscriptionDocument.From(new WebhookSubscription(
                    r.GetString(0), r.GetString(1), r.GetString(2),
                    JsonSerializer.Deserialize<string[]>(r.GetString(3))!, JsonSerializer.Deserialize<string[]>(r.GetString(4))!, JsonSerializer.Deserialize<string[]>(r.GetString(5))!,
                    r.GetString(6), r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8), r.GetInt64(9), r.GetInt32(10),
                    r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetString(12))));
            }
        }

        await using (var read = new NpgsqlCommand(
            $"""
            SELECT sequence, subscription_id, position, message_id, attempt, at, status_code, error, duration_ms
            FROM {attempts} a WHERE NOT EXISTS (SELECT 1 FROM {attemptDocuments} d WHERE d.id = a.sequence)
            """,
            connection))
        await using (var r = await read.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                copying = true;
                session.Insert(new WebhookAttemptDocument
                {
                    Id = r.GetInt64(0),
                    SubscriptionId = r.GetString(1),
                    Position = r.GetInt64(2),
                    MessageId = r.GetString(3),
                    Attempt = r.GetInt32(4),
                    At = r.GetFieldValue<DateTimeOffset>(5),
                    StatusCode = r.IsDBNull(6) ? null : r.GetInt32(6),
                    Error = r.IsDBNull(7) ? null : r.GetString(7),
                    DurationMs = r.GetDouble(8),
                });
            }
        }

        if (!copying)
        {
            return;
        }

        await session.SaveChangesAsync();
        await using var highest = new NpgsqlCommand($"SELECT coalesce(max(id), 0) FROM {attemptDocuments}", connection);
        await store.Advanced.ResetHiloSequenceFloor<WebhookAttemptDocument>((long)(await highest.ExecuteScalarAsync())!);
    }

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
}
