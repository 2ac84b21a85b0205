using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Ledger.Projections.ReadModels;
using Ledger.Serialization;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode with synchronous=FULL, so every acknowledged
/// append survives a crash or power loss. Events are append-only: triggers refuse updates and deletes.
/// Every append also extends the Merkle tree over the events in its transaction (see <see cref="SqliteMerkleTables"/>), and
/// keeps the read models (see <see cref="ReadModelTables"/>), so a reader sees its own writes at once.
/// </summary>
public sealed class SqliteEventStore : IEventStore, IPreparesAppends, IVerifiableStore, IReadModelSource, IRebuildsReadModels
{
    private const int RebuildBatch = 500;

    private const int SchemaVersion = 3;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    internal const string Columns = "position, stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data";

    /// <summary>The events table with its indexes and its append-only triggers; public so that baselines measure the same table.</summary>
    public const string EventsTable = """
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
        """;

    private readonly string connectionString;
    private readonly bool merkleTree;
    private readonly bool readModels;
    private readonly SqliteReadModels readModelStore;
    private readonly SqliteMerkleLog merkle;
    private readonly SemaphoreSlim appended = new(0);
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly PreparedLeafHashes prepared = new();
    private Writer? writer;
    private int waiting;

    private SqliteEventStore(string path, SqliteStoreOptions options)
    {
        merkleTree = options.MerkleTree;
        readModels = options.ReadModels;
        merkle = new SqliteMerkleLog((write, cancellationToken) => ConnectAsync(cancellationToken, write));
        Path = System.IO.Path.GetFullPath(path);
        connectionString = ConnectionString(Path);
        readModelStore = new SqliteReadModels(Path, besideEvents: true);
    }

    /// <summary>A ledger file's pooled connections: created when missing, waiting up to 30 s for another writer.</summary>
    internal static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public string Path { get; }

    public IMerkleLog Merkle => merkle;

    public IReadModelStore ReadModels => readModelStore;

    /// <summary>How often a subscriber looks for events appended by other processes.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public static Task<SqliteEventStore> OpenAsync(string path, CancellationToken cancellationToken = default) =>
        OpenAsync(path, new SqliteStoreOptions(), cancellationToken);

    internal static async Task<SqliteEventStore> OpenAsync(string path, SqliteStoreOptions options, CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var store = new SqliteEventStore(path, options);
        try
        {
            await store.MigrateAsync(cancellationToken);
            await store.PrepareReadModelsAsync(cancellationToken);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        return store;
    }

    /// <summary>A pooled connection to this ledger's file.</summary>
    internal Task<SqliteConnection> ConnectAsync(CancellationToken cancellationToken, bool write = false) => ConnectAsync(connectionString, write, cancellationToken);

    /// <summary>A pooled connection to a file; writers also get synchronous=FULL so that a commit is on disk when it returns.</summary>
    internal static async Task<SqliteConnection> ConnectAsync(string connectionString, bool write, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        if (write)
        {
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=FULL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken, write: true);
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

        // Again under the write lock: another process may have migrated the file meanwhile.
        using var transaction = connection.BeginTransaction();
        command.Transaction = transaction;
        version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        if (version < SchemaVersion)
        {
            command.CommandText = $"""
                CREATE TABLE IF NOT EXISTS streams (
                    stream_id TEXT PRIMARY KEY,
                    organization TEXT NOT NULL,
                    version INTEGER NOT NULL
                ) WITHOUT ROWID;
                {EventsTable}
                {SqliteMerkleTables.Schema}
                PRAGMA user_version = {SchemaVersion};
                """;
            await command.ExecuteNonQueryAsync(cancellationToken);

            using var tree = new SqliteMerkleTables(connection) { Transaction = transaction };
            if (version == 2)
            {
                tree.MigrateFromSchema2();
            }

            // Schema 1 had no tree: backfill it over the events already recorded, in the same transaction.
            var (events, size) = tree.Sizes();
            tree.CatchUp(tree.LoadFrontier(size), events);
        }

        transaction.Commit();
    }

    public async Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            throw new ArgumentException("nothing to append", nameof(events));
        }

        // Leaf hashes leave out the position: they are computed on another core, announced ahead or while the writer inserts the events.
        var leafHashes = merkleTree ? prepared.Take(stream, expectedVersion, events) : null;

        // The read models fold the appended events: those the writer did not hand over are decoded on another core meanwhile.
        var decoded = readModels ? OffThread<List<Events.ILedgerEvent>>.Start(() => events.Select(e => e.Event ?? LedgerJson.Deserialize(e.Type, e.Data)).ToList()) : null;

        await writeLock.WaitAsync(cancellationToken);
        try
        {
            writer ??= new Writer(await ConnectAsync(cancellationToken, write: true), readModels);
            var result = writer.Append(stream, expectedVersion, events, leafHashes, decoded);
            Wake();
            return result;
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>
    /// Rebuilds the read models from the events, a batch of matters per transaction, reporting (matters done, matters).
    /// Appends go on meanwhile and keep the matters they touch. A rebuild that stopped half-way is resumed by the next.
    /// </summary>
    public async Task RebuildReadModelsAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken = default)
    {
        var (after, done, total) = await WithWriterAsync(w => w.BeginRebuild(), cancellationToken);
        progress?.Report((done, total));
        while (await WithWriterAsync(w => w.RebuildBatch(after, RebuildBatch), cancellationToken) is ({ } last, > 0 and var count))
        {
            after = last;
            done += count;
            progress?.Report((Math.Min(done, total), total));
        }

        await WithWriterAsync(w => w.EndRebuild(), cancellationToken);
    }

    /// <summary>Rebuilds read models that are missing, of another projection version, or half rebuilt; without them, marks them stale.</summary>
    private async Task PrepareReadModelsAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await ConnectAsync(cancellationToken))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = ReadModelTables.IsCurrent;
            try
            {
                if (readModels && await command.ExecuteScalarAsync(cancellationToken) is 1L)
                {
                    return;
                }
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 1)
            {
                // No such table: a file from before the read models.
            }
        }

        if (await WithWriterAsync(w => w.PrepareReadModels(), cancellationToken))
        {
            await RebuildReadModelsAsync(null, cancellationToken);
        }
    }

    private async Task<T> WithWriterAsync<T>(Func<Writer, T> work, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            writer ??= new Writer(await ConnectAsync(cancellationToken, write: true), readModels);
            return work(writer);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Starts hashing an append's leaves now, e.g. while the previous append commits.</summary>
    public void PrepareAppend(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events)
    {
        if (merkleTree)
        {
            prepared.Prepare(stream, expectedVersion, events);
        }
    }

    public async IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // Positions start at 1, for every reader: a row before them is no event of the log (verify names it).
        command.CommandText = $"SELECT {Columns} FROM events WHERE stream_id = $stream AND stream_version >= $from AND position >= 1 ORDER BY stream_version";
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
        command.Parameters.AddWithValue("$from", Math.Max(1, fromPosition));
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
            command.Parameters.AddWithValue("$from", Math.Max(1, next));
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

    /// <summary>One writer commits positions in order, so the largest is the end of the log.</summary>
    public async Task<long> LastPositionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(position), 0) FROM events";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
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
            command.CommandText = $"SELECT {Columns} FROM events WHERE statement_id IN ({Parameters(command, "s", chunk)}) AND position >= 1";
            await foreach (var e in ReadAsync(command, cancellationToken))
            {
                found[e.StatementId!] = e;
            }
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        if (writer is not null)
        {
            await writer.DisposeAsync();
        }

        await readModelStore.DisposeAsync();
        merkle.Dispose();
        appended.Dispose();
        writeLock.Dispose();
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
            yield return ToStored(reader);
        }
    }

    /// <summary>
    /// The event of the current row as verification reads it: a timestamp that does not parse is no reason to stop, it
    /// is named in <see cref="StoredEvent.Unreadable"/>.
    /// </summary>
    internal static StoredEvent ToStoredAsFound(SqliteDataReader reader)
    {
        string? unreadable = null;
        DateTimeOffset? Time(int column, string name)
        {
            if (reader.IsDBNull(column))
            {
                return null;
            }

            var text = reader.GetString(column);
            if (DateTimeOffset.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            {
                return at;
            }

            unreadable ??= $"its {name} \"{text}\" is not a timestamp: its content no longer gives the leaf hash";
            return null;
        }

        string Text(int column) => reader.IsDBNull(column) ? string.Empty : reader.GetString(column);
        var published = Time(6, "published_at");
        var recorded = Time(7, "recorded_at") ?? default;
        return new StoredEvent(reader.GetInt64(0), Text(1), reader.GetInt64(2), Text(3), reader.IsDBNull(4) ? null : reader.GetString(4), Text(5), published, recorded, Text(8), Text(9))
        {
            Unreadable = unreadable,
        };
    }

    /// <summary>The event of the current row of a reader over <see cref="Columns"/>.</summary>
    internal static StoredEvent ToStored(SqliteDataReader reader) => new(
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

    /// <summary>
    /// Work for the writer done by a pool thread meanwhile (the rows that extend the tree, the appended events decoded for
    /// the read models); the writer does it itself when no thread has started it yet, so it never waits on a busy pool.
    /// </summary>
    private sealed class OffThread<T>(Func<T> work)
        where T : class
    {
        private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int claimed;
        private T? result;
        private Exception? error;

        public static OffThread<T> Start(Func<T> work)
        {
            var started = new OffThread<T>(work);
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.Run(), started, preferLocal: false);
            return started;
        }

        public void Run()
        {
            if (Interlocked.Exchange(ref claimed, 1) == 1)
            {
                return;
            }

            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                error = ex;
            }

            done.SetResult();
        }

        /// <exception cref="System.Text.Json.JsonException">An event's data is not I-JSON.</exception>
        public T Result()
        {
            Run();
            done.Task.GetAwaiter().GetResult();
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            return result!;
        }
    }

    internal static string Format(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    internal static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>
    /// One connection with prepared statements for all appends of this store instance: preparing and
    /// configuring a connection per append costs more than the insert itself.
    /// </summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly SqliteConnection connection;
        private readonly SqliteCommand check;
        private readonly SqliteCommand insert;
        private readonly SqliteCommand upsert;
        private readonly SqliteCommand lastPosition;
        private readonly SqliteMerkleTables tree;
        private readonly ReadModelTables? readModels;

        // The tree's right edge as this writer last left it; re-validated in every append, since another process may write the file.
        private MerkleFrontier? frontier;

        public Writer(SqliteConnection connection, bool keepReadModels)
        {
            this.connection = connection;
            tree = new SqliteMerkleTables(connection);
            readModels = keepReadModels ? new ReadModelTables(connection) : null;
            check = Command("SELECT version FROM streams WHERE stream_id = $stream", "$stream");
            insert = Command(
                """
                INSERT INTO events (stream_id, stream_version, event_type, statement_id, organization, published_at, recorded_at, recorded_by, data)
                VALUES ($stream, $version, $type, $statement, $organization, $published, $recorded, $by, $data)
                """,
                "$stream", "$version", "$type", "$statement", "$organization", "$published", "$recorded", "$by", "$data");
            upsert = Command(
                """
                INSERT INTO streams (stream_id, organization, version) VALUES ($stream, $organization, $version)
                ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version
                """,
                "$stream", "$organization", "$version");
            lastPosition = Command("SELECT last_insert_rowid()");
        }

        private SqliteCommand Command(string sql, params string[] parameters) => connection.Prepare(sql, parameters);

        public AppendResult Append(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, LeafHashes? leafHashes, OffThread<List<Events.ILedgerEvent>>? decoded)
        {
            // Immediate: this transaction holds the write lock from here on, so the tree read now is the one the events extend.
            using var transaction = connection.BeginTransaction(deferred: false);
            check.Transaction = insert.Transaction = upsert.Transaction = lastPosition.Transaction = transaction;
            tree.Transaction = transaction;
            readModels?.Transaction = transaction;
            check.Parameters[0].Value = stream;
            var actual = check.ExecuteScalar() is long v ? v : 0L;
            if (actual != expectedVersion)
            {
                throw ConcurrencyConflictException.WrongVersion(stream, expectedVersion, actual);
            }

            (long Start, OffThread<List<SqliteMerkleTables.TreeRow>> Rows)? extension = leafHashes is null ? null : ExtendTree(leafHashes);
            try
            {
                var version = InsertEvents(stream, expectedVersion, events);

                // Positions are rowids, and this transaction holds the write lock: the events got consecutive positions.
                var last = (long)lastPosition.ExecuteScalar()!;
                if (extension is { } extended)
                {
                    if (extended.Start != last - events.Count)
                    {
                        throw new InvalidOperationException($"the Merkle tree holds {extended.Start} leaves, but the events before this append end at position {last - events.Count}");
                    }

                    tree.Insert(extended.Rows.Result());
                }

                upsert.Parameters[0].Value = stream;
                upsert.Parameters[1].Value = events[0].Organization;
                upsert.Parameters[2].Value = version;
                upsert.ExecuteNonQuery();
                if (readModels is not null && decoded is not null)
                {
                    var first = last - events.Count + 1;
                    readModels.Project(stream, expectedVersion, decoded.Result().Select((e, i) => new Recorded(first + i, e)));
                }

                transaction.Commit();
                return new AppendResult(version, last - events.Count + 1, last);
            }
            catch when (extension is not null)
            {
                // Rolled back: the frontier holds (or is being given) leaves the file does not.
                frontier = null;
                throw;
            }
        }

        private long InsertEvents(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events)
        {
            var p = insert.Parameters;
            var version = expectedVersion;
            try
            {
                foreach (var e in events)
                {
                    version++;
                    p[0].Value = stream;
                    p[1].Value = version;
                    p[2].Value = e.Type;
                    p[3].Value = (object?)e.StatementId ?? DBNull.Value;
                    p[4].Value = e.Organization;
                    p[5].Value = e.PublishedAt is { } published ? Format(published) : DBNull.Value;
                    p[6].Value = Format(e.RecordedAt);
                    p[7].Value = e.RecordedBy;
                    p[8].Value = e.Data;
                    insert.ExecuteNonQuery();
                }
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == 19 && ex.Message.Contains("statement_id", StringComparison.Ordinal))
            {
                throw ConcurrencyConflictException.DuplicateStatement(stream, ex);
            }

            return version;
        }

        /// <summary>Creates the read model tables; whether the read models need a rebuild. Without them, marks them stale.</summary>
        public bool PrepareReadModels()
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = ReadModelTables.Schema;
            command.ExecuteNonQuery();
            command.CommandText = ReadModelTables.IsCurrent;
            var current = command.ExecuteScalar() is 1L;
            command.CommandText = "SELECT EXISTS (SELECT 1 FROM events)";
            var empty = command.ExecuteScalar() is 0L;
            if (readModels is null)
            {
                command.CommandText = "UPDATE read_model_state SET version = 0";
                command.ExecuteNonQuery();
            }
            else if (!current && empty)
            {
                command.CommandText = ReadModelTables.Reset(rebuilding: false);
                command.ExecuteNonQuery();
                current = true;
            }

            transaction.Commit();
            return readModels is not null && !current;
        }

        /// <summary>Resumes a rebuild of this projection version that stopped half-way, or empties the read models to start one.</summary>
        public (string After, int Done, int Total) BeginRebuild()
        {
            _ = readModels ?? throw new InvalidOperationException("this store was opened without its read models");
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = ReadModelTables.Schema;
            command.ExecuteNonQuery();
            command.CommandText = $"SELECT rebuild_after FROM read_model_state WHERE name = '{ReadModelTables.StateName}' AND version = {ReadModelJson.ProjectionVersion}";
            if (command.ExecuteScalar() is not string after)
            {
                after = string.Empty;
                command.CommandText = ReadModelTables.Reset(rebuilding: true);
                command.ExecuteNonQuery();
            }

            command.CommandText = "SELECT count(*), count(*) FILTER (WHERE stream_id <= $after) FROM streams";
            command.Parameters.AddWithValue("$after", after);
            using var reader = command.ExecuteReader();
            reader.Read();
            var (total, done) = (reader.GetInt32(0), reader.GetInt32(1));
            reader.Close();
            transaction.Commit();
            return (after, done, total);
        }

        /// <summary>Refolds the next matters after <paramref name="after"/> in one transaction; the last of them and how many.</summary>
        public (string? Last, int Count) RebuildBatch(string after, int size)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            readModels!.Transaction = transaction;
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT stream_id FROM streams WHERE stream_id > $after ORDER BY stream_id LIMIT $size";
            command.Parameters.AddWithValue("$after", after);
            command.Parameters.AddWithValue("$size", size);
            var matters = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    matters.Add(reader.GetString(0));
                }
            }

            foreach (var matter in matters)
            {
                readModels.Project(matter);
            }

            if (matters.Count > 0)
            {
                command.CommandText = $"UPDATE read_model_state SET rebuild_after = $last WHERE name = '{ReadModelTables.StateName}'";
                command.Parameters.Clear();
                command.Parameters.AddWithValue("$last", matters[^1]);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return (matters.Count > 0 ? matters[^1] : null, matters.Count);
        }

        /// <summary>Marks the rebuild done, the read models reflecting every event.</summary>
        public bool EndRebuild()
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"""
                UPDATE read_model_state SET rebuild_after = NULL, position = (SELECT coalesce(max(position), 0) FROM events)
                WHERE name = '{ReadModelTables.StateName}'
                """;
            command.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }

        /// <summary>
        /// Starts extending the tree by this append's leaves on another core, from the tree as this transaction finds
        /// it; the writer inserts the events meanwhile and takes the rows to store when it has.
        /// </summary>
        private (long Start, OffThread<List<SqliteMerkleTables.TreeRow>> Rows) ExtendTree(LeafHashes leafHashes)
        {
            try
            {
                var (events, size) = tree.Sizes();
                if (frontier is null || frontier.Size != size)
                {
                    frontier = tree.LoadFrontier(size);
                }

                // Every append extends the tree in its transaction: a row after the last leaf was inserted behind the writer's back.
                if (size < events)
                {
                    throw new StoreTamperedException(
                        $"{tree.Describe(size + 1)} is stored after the Merkle tree's last leaf ({size}), but every append extends the tree in its own transaction: " +
                        "it was inserted behind the ledger's back; nothing is appended after it (run ledger verify)");
                }

                if (frontier.Size != events)
                {
                    throw new InvalidOperationException($"the Merkle tree holds {frontier.Size} leaves, but the events end at position {events}");
                }
            }
            catch
            {
                // The frontier may be ahead of what the rolled-back transaction leaves stored.
                frontier = null;
                throw;
            }

            var from = frontier;
            return (from.Size, OffThread<List<SqliteMerkleTables.TreeRow>>.Start(() => SqliteMerkleTables.Extend(from, leafHashes.Result())));
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var command in new[] { check, insert, upsert, lastPosition })
            {
                await command.DisposeAsync();
            }

            tree.Dispose();
            readModels?.Dispose();
            await connection.DisposeAsync();
        }
    }
}
