using System.Runtime.CompilerServices;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Store.Marten;

/// <summary>
/// The feed in the ledger's PostgreSQL schema, append-only like the events; shared by every worker. Raw SQL rather than
/// Marten documents: readers page by an identity column that must grow in commit order, which entries committed one
/// at a time under an advisory lock give; a document's id or version would not. Every insert notifies
/// <see cref="Channel"/> as it commits, which a listening connection turns into <see cref="NextEntryAsync"/>.
/// </summary>
public sealed class PostgresNotificationFeed : INotificationFeed
{
    public const string Channel = "ledger_notifications";
    private const long SchemaLock = 7236587301;
    private const long AppendLock = 7236587302;
    private const string Columns = "id, kind, matter, organization, position, event_type, statement_id, occurred_at, notified_at, data";
    private readonly NpgsqlDataSource dataSource;
    private readonly string notifications;
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? listening;

    private PostgresNotificationFeed(NpgsqlDataSource dataSource, string schema)
    {
        this.dataSource = dataSource;
        notifications = $"{schema}.notifications";
    }

    public static async Task<PostgresNotificationFeed> OpenAsync(string connectionString, string schema, CancellationToken cancellationToken = default)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        var feed = new PostgresNotificationFeed(dataSource, schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Workers starting together would race on CREATE ... IF NOT EXISTS; the lock makes them take turns.
        await using var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock({SchemaLock});
            CREATE SCHEMA IF NOT EXISTS {schema};
            CREATE TABLE IF NOT EXISTS {feed.notifications} (
                sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id text NOT NULL UNIQUE,
                kind text NOT NULL,
                matter text NOT NULL,
                organization text NOT NULL,
                position bigint,
                event_type text,
                statement_id text,
                occurred_at timestamptz NOT NULL,
                notified_at timestamptz NOT NULL,
                data text NOT NULL
            );
            CREATE INDEX IF NOT EXISTS notifications_notices ON {feed.notifications} (position, sequence) WHERE kind <> '{NotificationKinds.EventRecorded}';
            CREATE OR REPLACE FUNCTION {schema}.notifications_are_immutable() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN RAISE EXCEPTION 'notifications are immutable and never deleted'; END $$;
            CREATE OR REPLACE TRIGGER notifications_are_immutable BEFORE UPDATE OR DELETE ON {feed.notifications}
                FOR EACH ROW EXECUTE FUNCTION {schema}.notifications_are_immutable();
            CREATE OR REPLACE FUNCTION {schema}.notifications_entered() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_notify('{Channel}', ''); RETURN NULL; END $$;
            CREATE OR REPLACE TRIGGER notifications_entered AFTER INSERT ON {feed.notifications}
                FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notifications_entered();
            """,
            connection,
            transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return feed;
    }

    public async Task<bool> AppendAsync(NewNotification notification, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Entries commit one at a time, so that a reader who has seen sequence n never later finds one below n.
        await using (var turn = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AppendLock})", connection, transaction))
        {
            await turn.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {notifications} ({Columns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (id) DO NOTHING
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = notification.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = notification.Kind });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = notification.Matter });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = notification.Organization });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)notification.Position ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)notification.EventType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)notification.StatementId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = notification.OccurredAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = notification.NotifiedAt.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = notification.Data });
        var entered = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        await transaction.CommitAsync(cancellationToken);
        return entered;
    }

    /// <summary>
    /// Queues the entry in a Marten session, to commit with whatever else the session holds (the relay's outbox). The
    /// append lock is taken in the same statement and held to the commit, as <see cref="AppendAsync"/> holds it.
    /// </summary>
    internal static void Enter(IDocumentOperations session, string schema, NewNotification notification) =>
        session.QueueSqlCommand('^',
            $"""
            WITH turn AS (SELECT pg_advisory_xact_lock({AppendLock}))
            INSERT INTO {schema}.notifications ({Columns})
            SELECT ^, ^, ^, ^, ^::bigint, ^::text, ^::text, ^, ^, ^ FROM turn
            ON CONFLICT (id) DO NOTHING
            """,
            notification.Id, notification.Kind, notification.Matter, notification.Organization,
            (object?)notification.Position ?? DBNull.Value, (object?)notification.EventType ?? DBNull.Value, (object?)notification.StatementId ?? DBNull.Value,
            notification.OccurredAt.ToUniversalTime(), notification.NotifiedAt.ToUniversalTime(), notification.Data);

    public IAsyncEnumerable<Notification> ReadAsync(long afterSequence = 0, int limit = int.MaxValue, CancellationToken cancellationToken = default) =>
        SelectAsync("WHERE sequence > $1 ORDER BY sequence LIMIT $2", [new NpgsqlParameter<long> { TypedValue = afterSequence }, new NpgsqlParameter<long> { TypedValue = limit }], cancellationToken);

    public IAsyncEnumerable<Notification> ReadNoticesAsync(long afterSequence = 0, CancellationToken cancellationToken = default) =>
        SelectAsync("WHERE sequence > $1 AND kind <> $2 ORDER BY sequence",
            [new NpgsqlParameter<long> { TypedValue = afterSequence }, new NpgsqlParameter<string> { TypedValue = NotificationKinds.EventRecorded }], cancellationToken);

    // The kind as a literal, as in the partial index: the planner can use it for any position asked.
    public IAsyncEnumerable<Notification> ReadNoticesFromAsync(long fromPosition, CancellationToken cancellationToken = default) =>
        SelectAsync($"WHERE kind <> '{NotificationKinds.EventRecorded}' AND position >= $1 ORDER BY position, sequence", [new NpgsqlParameter<long> { TypedValue = fromPosition }], cancellationToken);

    private async IAsyncEnumerable<Notification> SelectAsync(string clause, NpgsqlParameter[] parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT sequence, id, kind, matter, organization, position, event_type, statement_id, occurred_at, notified_at, data FROM {notifications} {clause}");
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return NotificationRows.Read(reader, static (r, i) => r.GetFieldValue<DateTimeOffset>(i));
        }
    }

    public async Task<long> RelayedThroughAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(RelayedThroughSql(notifications));
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
    }

    /// <summary>The same, read in a Marten session's transaction (the relay's subscription).</summary>
    internal static async Task<long> RelayedThroughAsync(IQuerySession session, string schema, CancellationToken cancellationToken) =>
        (await session.AdvancedSql.QueryAsync<long>($"SELECT coalesce(({RelayedThroughSql($"{schema}.notifications")}), 0)", cancellationToken)).Single();

    private static string RelayedThroughSql(string table) =>
        $"SELECT position FROM {table} WHERE kind = '{NotificationKinds.EventRecorded}' ORDER BY sequence DESC LIMIT 1";

    /// <summary>Completes when an entry commits after the call, or after <paramref name="atMost"/> (always, while no connection listens).</summary>
    public async Task NextEntryAsync(TimeSpan atMost, CancellationToken cancellationToken = default)
    {
        Task next;
        lock (gate)
        {
            listening ??= Task.Run(() => ListenAsync(stop.Token), CancellationToken.None);
            next = entered.Task;
        }

        try
        {
            await next.WaitAsync(atMost, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Nothing heard: the caller reads anyway, as it would by polling.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (listening is { } task)
        {
            await task;
        }

        stop.Dispose();
        await dataSource.DisposeAsync();
    }

    private void Pulse()
    {
        TaskCompletionSource done;
        lock (gate)
        {
            done = entered;
            entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        done.TrySetResult();
    }

    private Task ListenAsync(CancellationToken cancellationToken) =>
        PostgresListener.ListenAsync(dataSource, Channel, _ => Pulse(), Listening, cancellationToken);

    // Entries may have come while no connection listened.
    private void Listening(bool started)
    {
        if (started)
        {
            Pulse();
        }
    }
}
