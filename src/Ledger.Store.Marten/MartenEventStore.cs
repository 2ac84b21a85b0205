using System.Runtime.CompilerServices;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Ledger.Events;
using Ledger.Projections.ReadModels;
using Ledger.Serialization;
using Ledger.Storage;
using Ledger.Store.Marten.Merkle;
using Ledger.Store.Marten.Projections;
using Ledger.Store.Marten.ReadModels;
using Ledger.Verification;
using Marten;
using Marten.Services;
using Npgsql;
using Weasel.Core;

namespace Ledger.Store.Marten;

/// <summary>
/// The event-store contract on Marten and PostgreSQL. Matters are string-keyed Marten streams; event types carry the
/// same stable names as every other backend. A unique expression index on Marten's events table makes statement ids
/// unique in the ledger; each event's headers carry its matter's organization for filters and listings.
/// The read models are Marten documents kept inline, in the append's transaction (see <see cref="InlineReadModelProjection"/>),
/// and read with LoadAsync and LINQ (see <see cref="MartenReadModels"/>).
/// The Merkle tree over the events is an async projection too (see <see cref="MerkleTreeProjection"/>): it lags the
/// appends by the daemon's delay.
/// </summary>
public sealed class MartenEventStore : Ledger.Storage.IEventStore, IPreparesAppends, IVerifiableStore, IReadModelSource, IRebuildsReadModels
{
    internal const string OrganizationHeader = "organization";
    private const string StatementIndex = "ledger_statement_id";

    /// <summary>Room for every statement text an append and the import's reads use, with some to spare.</summary>
    private const int AutoPrepared = 64;
    private readonly DocumentStore store;
    private readonly NpgsqlDataSource dataSource;
    private readonly string events;
    private readonly string streams;
    private readonly MartenMerkleTables tables;
    private readonly EventRows rows;
    private readonly ReadModelRebuild rebuild;
    private readonly ReadModelPositionWatch position;
    private readonly PreparedLeafHashes prepared = new();

    private MartenEventStore(DocumentStore store, NpgsqlDataSource dataSource, string schema)
    {
        this.store = store;
        this.dataSource = dataSource;
        rebuild = new ReadModelRebuild(store, dataSource, schema);
        position = new ReadModelPositionWatch(dataSource);
        ReadModels = new MartenReadModels(store, position);
        events = $"{schema}.mt_events";
        streams = $"{schema}.mt_streams";
        tables = new MartenMerkleTables(schema);
        rows = new EventRows(dataSource, events, store.Options.Serializer());

        // Verification reads the rows as found: a row that no longer reads as the event the ledger wrote is named, never a failed read.
        Merkle = new MartenMerkleLog(dataSource, schema, (sequences, cancellationToken) => rows.ReadAsync(sequences, skipTombstones: false, cancellationToken), UncoveredAsync);
    }

    public IMerkleLog Merkle { get; }

    public IReadModelStore ReadModels { get; }

    /// <summary>How long a subscriber waits for a gap in the global sequence to fill before taking it as a rolled-back append.</summary>
    public TimeSpan GapTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The Marten settings of the ledger's events; public so that baselines measure Marten configured alike.</summary>
    public static void Configure(StoreOptions options, string connectionString, string schema = "ledger")
    {
        options.Connection(connectionString);
        options.DatabaseSchemaName = schema;

        // The same field names as the ledger's own JSON, so that SQL over mt_events reads like the exports.
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
        options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.MetadataConfig.HeadersEnabled = true;
        foreach (var name in EventTypes.All)
        {
            options.Events.MapEventType(EventTypes.TypeOf(name), name);
        }

        // Here rather than in OpenAsync, so that every Marten user of the ledger (a hosted daemon, the bench) has them.
        // Rich appends take the global sequence before the inline projections run: the read models' rows hold positions.
        options.Events.AppendMode = EventAppendMode.Rich;
        ReadModelSchema.Register(options);
        options.Projections.Add(new InlineReadModelProjection(), ProjectionLifecycle.Inline);
        options.Projections.Add(new MerkleTreeProjection(schema), ProjectionLifecycle.Async, MerkleTreeProjection.Name);

        // Appends wake the daemon (the tree, the notification relay) as they commit, rather than at its next poll.
        options.Events.UseListenNotifyForEventAppends = true;

        // An event the tree fails on stops the tree rather than being skipped: a skipped event would be a leaf missing
        // for good. (The relay's subscription retries a failed page either way: RelayOutboxTests.)
        options.Projections.Errors.SkipApplyErrors = false;

        // The daemon runs where it is started (StartProjectionDaemonAsync, or a host's AddAsyncDaemon, whose mode stands).
        // Left Disabled, Marten warns on stdout that async projections will not run, and stdout is the CLI's output.
        if (options.Projections.AsyncMode == DaemonMode.Disabled)
        {
            options.Projections.AsyncMode = DaemonMode.ExternallyManaged;
        }
    }

    public static async Task<MartenEventStore> OpenAsync(string connectionString, string schema = "ledger", CancellationToken cancellationToken = default)
    {
        var store = DocumentStore.For(options => Configure(options, connectionString, schema));
        var dataSource = NpgsqlDataSource.Create(WithAutoPrepare(connectionString));
        var opened = new MartenEventStore(store, dataSource, schema);
        try
        {
            // Several processes may open the ledger at once (two workers starting), and neither Marten's DDL nor a
            // CREATE ... IF NOT EXISTS is safe against a concurrent one: one process at a time prepares the schema.
            await using var preparing = await dataSource.OpenConnectionAsync(cancellationToken);
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock(hashtext('{schema}.ledger_schema'))", preparing))
            {
                await take.ExecuteNonQueryAsync(cancellationToken);
            }

            await PrepareDatabaseAsync(store, dataSource, schema, cancellationToken);
            await opened.rebuild.PrepareAsync(cancellationToken);
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock(hashtext('{schema}.ledger_schema'))", preparing);
            await release.ExecuteNonQueryAsync(cancellationToken);
        }
        catch
        {
            await opened.DisposeAsync();
            throw;
        }

        return opened;
    }

    /// <summary>
    /// Appends run Marten's statements on this store's own connections: the same few dozen texts per document (an
    /// INSERT per event, the read models' upserts), which PostgreSQL then plans once per connection instead of each
    /// time. A connection string that sets Max Auto Prepare keeps its own value.
    /// </summary>
    public static string WithAutoPrepare(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.ContainsKey("Max Auto Prepare") || given.ContainsKey("MaxAutoPrepare"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = AutoPrepared }.ConnectionString;
    }

    /// <summary>Marten's tables, then the ledger's unique index on statement ids; public so that baselines write into the same schema.</summary>
    public static async Task PrepareDatabaseAsync(IDocumentStore store, NpgsqlDataSource dataSource, string schema = "ledger", CancellationToken cancellationToken = default)
    {
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var index = dataSource.CreateCommand(
            $"CREATE UNIQUE INDEX IF NOT EXISTS {StatementIndex} ON {schema}.mt_events ((data ->> 'statementId')) WHERE data ? 'statementId'");
        await index.ExecuteNonQueryAsync(cancellationToken);

        // Under a lock for the transaction: several processes may open the ledger at once, and the DDL is not atomic.
        await using var tree = dataSource.CreateCommand(
            $"BEGIN; SELECT pg_advisory_xact_lock(hashtext('{schema}.ledger_merkle')); {new MartenMerkleTables(schema).Schema} COMMIT;");
        await tree.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Starts the leaf hashes of the receipt while the previous append commits.</summary>
    public void PrepareAppend(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events) => prepared.Prepare(stream, expectedVersion, events);

    public async Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            throw new ArgumentException("nothing to append", nameof(events));
        }

        // Marten keeps one organization per append, as the session's header: the receipt hashes the events as stored.
        if (events.Any(e => e.Organization != events[0].Organization))
        {
            events = [.. events.Select(e => e with { Organization = events[0].Organization })];
        }

        var leafHashes = prepared.Take(stream, expectedVersion, events);

        // The read models are kept in this transaction, under the locks they take with their first read (see ReadModelLocks).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var session = store.LightweightSession(SessionOptions.ForTransaction(transaction, false));
        session.SetHeader(OrganizationHeader, events[0].Organization);
        var data = events.Select(e => (object)(e.Event ?? LedgerJson.Deserialize(e.Type, e.Data))).ToArray();
        var action = expectedVersion == 0
            ? session.Events.StartStream(stream, data)
            : session.Events.Append(stream, expectedVersion + events.Count, data);

        var version = expectedVersion + events.Count;

        // The receipt of this append, in its transaction: the leaf hash of each event, which the tree takes only if it
        // matches. One row for the append rather than one an event: it is most of what the ledger adds to Marten's work.
        session.QueueSqlCommand('^', tables.ReceiptInsert("^", "^", "^"), stream, expectedVersion + 1, leafHashes.Result().SelectMany(h => h).ToArray());

        try
        {
            await session.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            position.Forget();
        }
        catch (Exception ex) when (IsUniqueViolation(ex, StatementIndex))
        {
            throw ConcurrencyConflictException.DuplicateStatement(stream, ex);
        }
        catch (Exception ex) when (ex is EventStreamUnexpectedMaxEventIdException or ExistingStreamIdCollisionException
            or global::Marten.Exceptions.ExistingStreamIdCollisionException or global::Marten.Exceptions.ConcurrentUpdateException
            || IsUniqueViolation(ex, "mt_events") || IsUniqueViolation(ex, "mt_streams"))
        {
            throw new ConcurrencyConflictException($"matter {stream} changed while this import ran: expected version {expectedVersion}; nothing of this document was appended", ex);
        }

        // Marten assigns the global sequence on save and hands it back on the appended events.
        return new AppendResult(version, action.Events[0].Sequence, action.Events[^1].Sequence);
    }

    /// <summary>Plain SQL rather than a Marten query session: the import reads each matter before deciding on it.</summary>
    public async IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT seq_id, version, type, headers ->> '{OrganizationHeader}', data::text FROM {events} WHERE stream_id = $1 AND version >= $2 AND is_archived = false ORDER BY version");
        command.Parameters.Add(new NpgsqlParameter { Value = stream });
        command.Parameters.Add(new NpgsqlParameter { Value = fromVersion });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var type = reader.GetString(2);
            if (EventTypes.TryGetType(type, out _))
            {
                var data = LedgerJson.Deserialize(type, reader.GetString(4));
                yield return ToStored(reader.GetInt64(0), stream, reader.GetInt64(1), type, reader.IsDBNull(3) ? string.Empty : reader.GetString(3), data);
            }
        }
    }

    public async IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = fromPosition;
        while (true)
        {
            var page = await PageAsync(next, filter, cancellationToken);
            foreach (var e in page.Events)
            {
                yield return e;
            }

            if (!page.More)
            {
                yield break;
            }

            next = page.Next;
        }
    }

    public async IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = fromPosition;
        var gapSince = (DateTimeOffset?)null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Sequence numbers are taken before commit: a lower one can become visible after a higher one.
            // Read unfiltered positions to see gaps, and wait a little for a gap to fill before passing it.
            var page = await PageAsync(next, null, cancellationToken);
            var delivered = false;
            var events = page.Events.ToDictionary(e => e.Position);
            foreach (var position in page.Positions)
            {
                if (position != next)
                {
                    gapSince ??= DateTimeOffset.UtcNow;
                    if (DateTimeOffset.UtcNow - gapSince < GapTimeout)
                    {
                        break;
                    }
                }

                gapSince = null;
                next = position + 1;
                delivered = true;
                if (events.TryGetValue(position, out var e) && (filter is null || filter.Matches(e)))
                {
                    yield return e;
                }
            }

            if (!delivered)
            {
                try
                {
                    await Task.Delay(PollInterval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }
    }

    public async Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT s.id, s.version,
                   (SELECT e.headers ->> '{OrganizationHeader}' FROM {events} e WHERE e.stream_id = s.id ORDER BY e.version LIMIT 1)
            FROM {streams} s WHERE s.id <> $1 ORDER BY s.id
            """);

        // Marten records the positions of a failed append under its own tombstone stream, which is no matter.
        command.Parameters.Add(new NpgsqlParameter { Value = StorageConstants.TombstoneStreamKey });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StreamInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StreamInfo(reader.GetString(0), reader.IsDBNull(2) ? string.Empty : reader.GetString(2), reader.GetInt64(1)));
        }

        return list;
    }

    public async Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        if (statementIds.Count == 0)
        {
            return found;
        }

        var sequences = new List<long>();
        await using (var command = dataSource.CreateCommand($"SELECT seq_id FROM {events} WHERE data ? 'statementId' AND data ->> 'statementId' = ANY($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = statementIds.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sequences.Add(reader.GetInt64(0));
            }
        }

        if (sequences.Count > 0)
        {
            foreach (var e in await ReadAsync(q => q.Where(e => sequences.Contains(e.Sequence)), cancellationToken))
            {
                found[e.StatementId!] = e;
            }
        }

        return found;
    }

    /// <summary>
    /// The ledger events no leaf covers, read as found (see <see cref="EventRows"/>). After the last leaf, one is genuine
    /// when it reads as the event the ledger wrote and its append's receipt gives its leaf hash: the tree will take it.
    /// Inside the tree's range, the tree refused it for want of that receipt.
    /// </summary>
    private async IAsyncEnumerable<UncoveredEvent> UncoveredAsync(long last, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sequences = new List<long>();
        await using (var command = dataSource.CreateCommand(
            $"SELECT e.seq_id FROM {events} e WHERE NOT EXISTS (SELECT 1 FROM {tables.Leaves} l WHERE l.seq_id = e.seq_id) ORDER BY e.seq_id"))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sequences.Add(reader.GetInt64(0));
            }
        }

        foreach (var chunk in sequences.Chunk(500))
        {
            var found = await rows.ReadAsync(chunk, skipTombstones: true, cancellationToken);
            var receipts = new List<byte[]?>();
            await using (var command = dataSource.CreateCommand(tables.ReceiptsQuery(hexadecimal: false, "$1", "$2")))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = found.Select(e => e.Stream).ToArray() });
                command.Parameters.Add(new NpgsqlParameter { Value = found.Select(e => e.Version).ToArray() });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    receipts.Add(reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0));
                }
            }

            for (var i = 0; i < found.Count; i++)
            {
                var e = found[i];
                var receipted = e.Unreadable is null && receipts[i] is { } receipt && receipt.AsSpan().SequenceEqual(CanonicalEvent.LeafHash(e));
                yield return new UncoveredEvent(e, e.Position <= last
                    ? "is stored inside the tree's range but no leaf covers it: no append's receipt gives its leaf hash, so the tree refused it"
                    : receipted ? null
                    : e.Unreadable is { } why ? $"is stored after the tree's last leaf, but no longer reads as an event the ledger wrote: {why}"
                    : "is stored after the tree's last leaf, but no append's receipt gives its leaf hash: it was inserted behind the ledger's back");
            }
        }
    }

    /// <summary>Starts Marten's async daemon on this store's database, which keeps the Merkle tree.</summary>
    public async Task<MartenProjectionDaemon> StartProjectionDaemonAsync()
    {
        var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        return new MartenProjectionDaemon(daemon);
    }

    /// <summary>
    /// Rebuilds the read models from the events, a batch of matters per transaction, reporting (matters done, matters).
    /// Appends go on meanwhile and keep the matters they touch. A rebuild that stopped half-way is resumed by the next.
    /// </summary>
    public async Task RebuildReadModelsAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken = default)
    {
        try
        {
            await rebuild.RunAsync(progress, cancellationToken);
        }
        finally
        {
            position.Forget();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await position.DisposeAsync();
        store.Dispose();
        await dataSource.DisposeAsync();
    }

    /// <summary>Ledger events of a page, and every position the page covered (Marten fills failed appends' positions with tombstones).</summary>
    private sealed record Page(IReadOnlyList<StoredEvent> Events, IReadOnlyList<long> Positions, bool More, long Next);

    private async Task<Page> PageAsync(long from, EventFilter? filter, CancellationToken cancellationToken)
    {
        const int size = 500;
        IReadOnlyCollection<string>? matters = filter?.Matters;
        if (filter?.Organizations is { Count: > 0 } organizations)
        {
            var ofOrganizations = (await ListStreamsAsync(cancellationToken)).Where(m => organizations.Contains(m.Organization)).Select(m => m.Stream).ToList();
            matters = matters is { Count: > 0 } ? matters.Intersect(ofOrganizations).ToList() : ofOrganizations;
            if (matters.Count == 0)
            {
                return new Page([], [], false, from);
            }
        }

        var types = filter?.Types is { Count: > 0 } t ? t.ToArray() : null;
        var keys = matters is { Count: > 0 } ? matters.ToArray() : null;
        var rows = await ReadRawAsync(
            q =>
            {
                q = q.Where(e => e.Sequence >= from);
                if (keys is not null)
                {
                    q = q.Where(e => keys.Contains(e.StreamKey));
                }

                if (types is not null)
                {
                    q = q.Where(e => types.Contains(e.EventTypeName));
                }

                return q.OrderBy(e => e.Sequence).Take(size);
            },
            cancellationToken);
        return new Page(
            rows.Where(IsLedgerEvent).Select(ToStored).ToList(),
            rows.Select(e => e.Sequence).ToList(),
            rows.Count == size,
            rows.Count > 0 ? rows[^1].Sequence + 1 : from);
    }

    private async Task<List<StoredEvent>> ReadAsync(Func<IQueryable<IEvent>, IQueryable<IEvent>> query, CancellationToken cancellationToken) =>
        (await ReadRawAsync(query, cancellationToken)).Where(IsLedgerEvent).Select(ToStored).ToList();

    private async Task<List<IEvent>> ReadRawAsync(Func<IQueryable<IEvent>, IQueryable<IEvent>> query, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        var events = await query(session.Events.QueryAllRawEvents()).ToListAsync(cancellationToken);
        return events.OrderBy(e => e.Sequence).ToList();
    }

    internal static bool IsLedgerEvent(IEvent e) => e.Data is ILedgerEvent;

    internal static StoredEvent ToStored(IEvent e) =>
        ToStored(e.Sequence, e.StreamKey!, e.Version, e.EventTypeName,
            e.Headers?.TryGetValue(OrganizationHeader, out var value) == true ? value?.ToString() ?? string.Empty : string.Empty,
            (ILedgerEvent)e.Data);

    /// <summary>jsonb does not keep the bytes written, so the data is serialized again the one way every backend uses.</summary>
    internal static StoredEvent ToStored(long position, string stream, long version, string type, string organization, ILedgerEvent data)
    {
        var statement = data as Statement;
        return new StoredEvent(position, stream, version, type, statement?.StatementId, organization,
            statement?.PublishedAt, data.RecordedAt, data.RecordedBy, LedgerJson.Serialize(data));
    }

    private static bool IsUniqueViolation(Exception ex, string table)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg
                && (pg.TableName?.Contains(table, StringComparison.OrdinalIgnoreCase) == true || pg.ConstraintName?.Contains(table, StringComparison.OrdinalIgnoreCase) == true))
            {
                return true;
            }
        }

        return false;
    }
}
