using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>The feed in the ledger's own SQLite file, append-only like the events.</summary>
public sealed class SqliteNotificationFeed : INotificationFeed
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS notifications (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            matter TEXT NOT NULL,
            organization TEXT NOT NULL,
            position INTEGER,
            event_type TEXT,
            statement_id TEXT,
            occurred_at TEXT NOT NULL,
            notified_at TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS notifications_notices ON notifications (position, sequence) WHERE kind <> 'event-recorded';
        CREATE TRIGGER IF NOT EXISTS notifications_are_immutable BEFORE UPDATE ON notifications
            BEGIN SELECT RAISE(ABORT, 'notifications are immutable'); END;
        CREATE TRIGGER IF NOT EXISTS notifications_are_never_deleted BEFORE DELETE ON notifications
            BEGIN SELECT RAISE(ABORT, 'notifications are never deleted'); END;
        """;

    private readonly string connectionString;

    private SqliteNotificationFeed(string path) =>
        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();

    public static async Task<SqliteNotificationFeed> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var feed = new SqliteNotificationFeed(path);
        await using var connection = await feed.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;" + Schema;
        await command.ExecuteNonQueryAsync(cancellationToken);
        return feed;
    }

    public async Task<bool> AppendAsync(NewNotification notification, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO notifications (id, kind, matter, organization, position, event_type, statement_id, occurred_at, notified_at, data)
            VALUES ($id, $kind, $matter, $organization, $position, $type, $statement, $occurred, $notified, $data)
            ON CONFLICT (id) DO NOTHING
            """;
        command.Parameters.AddWithValue("$id", notification.Id);
        command.Parameters.AddWithValue("$kind", notification.Kind);
        command.Parameters.AddWithValue("$matter", notification.Matter);
        command.Parameters.AddWithValue("$organization", notification.Organization);
        command.Parameters.AddWithValue("$position", (object?)notification.Position ?? DBNull.Value);
        command.Parameters.AddWithValue("$type", (object?)notification.EventType ?? DBNull.Value);
        command.Parameters.AddWithValue("$statement", (object?)notification.StatementId ?? DBNull.Value);
        command.Parameters.AddWithValue("$occurred", Format(notification.OccurredAt));
        command.Parameters.AddWithValue("$notified", Format(notification.NotifiedAt));
        command.Parameters.AddWithValue("$data", notification.Data);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public IAsyncEnumerable<Notification> ReadAsync(long afterSequence = 0, int limit = int.MaxValue, CancellationToken cancellationToken = default) =>
        SelectAsync("WHERE sequence > $after ORDER BY sequence LIMIT $limit", [("$after", afterSequence), ("$limit", limit)], cancellationToken);

    public IAsyncEnumerable<Notification> ReadNoticesAsync(long afterSequence = 0, CancellationToken cancellationToken = default) =>
        SelectAsync("WHERE sequence > $after AND kind <> $event ORDER BY sequence", [("$after", afterSequence), ("$event", NotificationKinds.EventRecorded)], cancellationToken);

    // The kind as a literal, as in the partial index: a parameter would keep SQLite from using it.
    public IAsyncEnumerable<Notification> ReadNoticesFromAsync(long fromPosition, CancellationToken cancellationToken = default) =>
        SelectAsync($"WHERE kind <> '{NotificationKinds.EventRecorded}' AND position >= $from ORDER BY position, sequence", [("$from", fromPosition)], cancellationToken);

    private async IAsyncEnumerable<Notification> SelectAsync(string clause, (string Name, object Value)[] parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT sequence, id, kind, matter, organization, position, event_type, statement_id, occurred_at, notified_at, data FROM notifications {clause}";
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return NotificationRows.Read(reader, static (r, i) => Parse(r.GetString(i)));
        }
    }

    public async Task<long> RelayedThroughAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT position FROM notifications WHERE kind = '{NotificationKinds.EventRecorded}' ORDER BY sequence DESC LIMIT 1";
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
