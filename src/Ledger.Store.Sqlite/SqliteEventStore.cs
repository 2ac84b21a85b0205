using System.Globalization;
using System.Runtime.CompilerServices;
using Ledger.Storage;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode with synchronous=FULL, so every acknowledged
/// append survives a crash or power loss. Events are append-only: triggers refuse updates and deletes.
/// </summary>
public sealed class SqliteEventStore : IEventStore
{
    private const int SchemaVersion = 1;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private const string Columns = "position, stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data";

    private readonly string connectionString;
    private readonly SemaphoreSlim appended = new(0);
    private int waiting;

    private SqliteEventStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>How often a subscriber looks for events appended by other processes.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public static async Task<SqliteEventStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var store = new SqliteEventStore(path);
        await store.MigrateAsync(cancellationToken);
        return store;
    }

    private async Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"{Path} was written by a newer Ledger (schema {version}); this one knows schema {SchemaVersion}");
        }

        if (version == SchemaVersion)
        {
            return;
        }

        command.CommandText = $"""
            BEGIN IMMEDIATE;
            CREATE TABLE IF NOT EXISTS streams (
                stream_id TEXT PRIMARY KEY,
                organization TEXT NOT NULL,
                version INTEGER NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS events (
                position INTEGER PRIMARY KEY,
                stream_id TEXT NOT NULL,
                stream_version INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                statement_id TEXT UNIQUE,
                organization TEXT NOT NULL,
                published_at TEXT,
                recorded_at TEXT NOT NULL,
                recorded_by TEXT NOT NULL,
                data TEXT NOT NULL,
                UNIQUE (stream_id, stream_version)
            );
            CREATE INDEX IF NOT EXISTS events_organization ON events (organization, position);
            CREATE INDEX IF NOT EXISTS events_type ON events (event_type, position);
            CREATE TRIGGER IF NOT EXISTS events_are_immutable BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'ledger events are immutable: record a correction instead'); END;
            CREATE TRIGGER IF NOT EXISTS events_are_never_deleted BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'ledger events are never deleted: record a withdrawal or correction instead'); END;
            PRAGMA user_version = {SchemaVersion};
            COMMIT;
            """;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            throw new ArgumentException("nothing to append", nameof(events));
        }

        await using var connection = await ConnectAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

        await using var check = connection.CreateCommand();
        check.CommandText = "SELECT version FROM streams WHERE stream_id = $stream";
        check.Parameters.AddWithValue("$stream", stream);
        var actual = await check.ExecuteScalarAsync(cancellationToken) is long v ? v : 0L;
        if (actual != expectedVersion)
        {
            throw ConcurrencyConflictException.WrongVersion(stream, expectedVersion, actual);
        }

        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO events (stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data)
            VALUES ($stream, $version, $type, $statement, $organization, $published, $recorded, $by, $data)
            RETURNING position
            """;
        var pStream = insert.Parameters.Add("$stream", SqliteType.Text);
        var pVersion = insert.Parameters.Add("$version", SqliteType.Integer);
        var pType = insert.Parameters.Add("$type", SqliteType.Text);
        var pStatement = insert.Parameters.Add("$statement", SqliteType.Text);
        var pOrganization = insert.Parameters.Add("$organization", SqliteType.Text);
        var pPublished = insert.Parameters.Add("$published", SqliteType.Text);
        var pRecorded = insert.Parameters.Add("$recorded", SqliteType.Text);
        var pBy = insert.Parameters.Add("$by", SqliteType.Text);
        var pData = insert.Parameters.Add("$data", SqliteType.Text);
        await insert.PrepareAsync(cancellationToken);

        long first = 0, last = 0, version = expectedVersion;
        try
        {
            foreach (var e in events)
            {
                version++;
                pStream.Value = stream;
                pVersion.Value = version;
                pType.Value = e.Type;
                pStatement.Value = (object?)e.StatementId ?? DBNull.Value;
                pOrganization.Value = e.Organization;
                pPublished.Value = e.PublishedAt is { } published ? Format(published) : DBNull.Value;
                pRecorded.Value = Format(e.RecordedAt);
                pBy.Value = e.RecordedBy;
                pData.Value = e.Data;
                last = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;
                if (first == 0)
                {
                    first = last;
                }
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("statement_id", StringComparison.Ordinal))
        {
            throw ConcurrencyConflictException.DuplicateStatement(stream, ex);
        }

        await using var upsert = connection.CreateCommand();
        upsert.CommandText = """
            INSERT INTO streams (stream_id, organization, version) VALUES ($stream, $organization, $version)
            ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version
            """;
        upsert.Parameters.AddWithValue("$stream", stream);
        upsert.Parameters.AddWithValue("$organization", events[0].Organization);
        upsert.Parameters.AddWithValue("$version", version);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        Wake();
        return new AppendResult(version, first, last);
    }

    public async IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM events WHERE stream_id = $stream AND stream_version >= $from ORDER BY stream_version";
        command.Parameters.AddWithValue("$stream", stream);
        command.Parameters.AddWithValue("$from", fromVersion);
        await foreach (var e in ReadAsync(command, cancellationToken))
        {
            yield return e;
        }
    }

    public async IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM events WHERE position >= $from{Where(command, filter)} ORDER BY position";
        command.Parameters.AddWithValue("$from", fromPosition);
        await foreach (var e in ReadAsync(command, cancellationToken))
        {
            yield return e;
        }
    }

    public async IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = fromPosition;
        await using var connection = await ConnectAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM events WHERE position >= $from{Where(command, filter)} ORDER BY position LIMIT 500";
            command.Parameters.AddWithValue("$from", next);
            var count = 0;
            await foreach (var e in ReadAsync(command, cancellationToken))
            {
                count++;
                next = e.Position + 1;
                yield return e;
            }

            if (count == 0)
            {
                await WaitForAppendAsync(cancellationToken);
            }
        }
    }

    public async Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT stream_id, organization, version FROM streams ORDER BY stream_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var streams = new List<StreamInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            streams.Add(new StreamInfo(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return streams;
    }

    public async Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        if (statementIds.Count == 0)
        {
            return found;
        }

        await using var connection = await ConnectAsync(cancellationToken);
        foreach (var chunk in statementIds.Chunk(500))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM events WHERE statement_id IN ({Parameters(command, "s", chunk)})";
            await foreach (var e in ReadAsync(command, cancellationToken))
            {
                found[e.StatementId!] = e;
            }
        }

        return found;
    }

    public ValueTask DisposeAsync()
    {
        appended.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Wake()
    {
        var sleepers = Interlocked.Exchange(ref waiting, 0);
        if (sleepers > 0)
        {
            appended.Release(sleepers);
        }
    }

    private async Task WaitForAppendAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref waiting);
        try
        {
            await appended.WaitAsync(PollInterval, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The subscriber is leaving; the loop condition ends it.
        }
    }

    private static string Where(SqliteCommand command, EventFilter? filter)
    {
        if (filter is null)
        {
            return string.Empty;
        }

        var clauses = string.Empty;
        if (filter.Matters is { Count: > 0 } matters)
        {
            clauses += $" AND stream_id IN ({Parameters(command, "m", matters)})";
        }

        if (filter.Organizations is { Count: > 0 } organizations)
        {
            clauses += $" AND organization IN ({Parameters(command, "o", organizations)})";
        }

        if (filter.Types is { Count: > 0 } types)
        {
            clauses += $" AND event_type IN ({Parameters(command, "t", types)})";
        }

        return clauses;
    }

    private static string Parameters(SqliteCommand command, string prefix, IEnumerable<string> values)
    {
        var names = new List<string>();
        foreach (var value in values)
        {
            var name = $"${prefix}{names.Count}";
            command.Parameters.AddWithValue(name, value);
            names.Add(name);
        }

        return string.Join(", ", names);
    }

    private static async IAsyncEnumerable<StoredEvent> ReadAsync(SqliteCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredEvent(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetInt64(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : Parse(reader.GetString(6)),
                Parse(reader.GetString(7)),
                reader.GetString(8),
                reader.GetString(9));
        }
    }

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
