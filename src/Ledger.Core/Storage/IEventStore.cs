using Ledger.Events;
using Ledger.Serialization;

namespace Ledger.Storage;

/// <summary>
/// The small contract every backend implements: append with an expected version, read a stream,
/// read everything from a global position, subscribe with filters. Streams are matters.
/// </summary>
public interface IEventStore : IAsyncDisposable
{
    /// <summary>Appends atomically. <paramref name="expectedVersion"/> is the number of events the stream holds now (0: a new stream).</summary>
    /// <exception cref="ConcurrencyConflictException">The stream moved on, or a statement id is already recorded.</exception>
    Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default);

    /// <summary>Events of one stream from a version (1-based) on; an unknown stream reads as empty.</summary>
    IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, CancellationToken cancellationToken = default);

    /// <summary>Events in global order from a position (1-based) on, up to the end as it is now.</summary>
    IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>Catches up from a position, then follows new events until cancelled.</summary>
    IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>Every stream with its organization and current version.</summary>
    Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default);

    /// <summary>The recorded events carrying these statement ids, in any stream, keyed by statement id.</summary>
    Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default);

    /// <summary>What else the store offers beside the events (its read models, say): itself when it is a <typeparamref name="T"/>. Decorators pass the question on.</summary>
    T? Feature<T>()
        where T : class => this as T;

    /// <summary>The global position of the last event (0 when empty). Backends answer from an index; this default reads the log.</summary>
    async Task<long> LastPositionAsync(CancellationToken cancellationToken = default)
    {
        var last = 0L;
        await foreach (var e in ReadAllAsync(1, null, cancellationToken))
        {
            last = e.Position;
        }

        return last;
    }
}

/// <summary>
/// A store with per-append work that does not need the write lock (the Merkle leaf hashes of the embedded store). A
/// writer that knows its next append early (the import pipeline, while the previous append commits) announces it, and
/// the work runs meanwhile; the later AppendAsync with the same list takes it up.
/// </summary>
public interface IPreparesAppends
{
    void PrepareAppend(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events);
}

/// <summary>
/// An event to append: its envelope, and its data as the event object the writer decided, or as JSON copied from another
/// store. The JSON is serialized from the object only when a store asks for it: Marten keeps the object itself.
/// </summary>
public sealed record EventToAppend(
    string Type,
    string? StatementId,
    string Organization,
    DateTimeOffset? PublishedAt,
    DateTimeOffset RecordedAt,
    string RecordedBy)
{
    private string? data;

    /// <summary>An event copied as stored, by its JSON.</summary>
    public EventToAppend(string type, string? statementId, string organization, DateTimeOffset? publishedAt, DateTimeOffset recordedAt, string recordedBy, string data)
        : this(type, statementId, organization, publishedAt, recordedAt, recordedBy) => this.data = data;

    /// <summary>The event object, when the writer has it: a store that keeps objects or folds what it appends need not parse <see cref="Data"/>.</summary>
    public ILedgerEvent? Event { get; init; }

    /// <summary>The event's JSON (<see cref="LedgerJson.Events"/>), serialized from <see cref="Event"/> on first use.</summary>
    public string Data => data ??= LedgerJson.Serialize(Event ?? throw new InvalidOperationException($"the {Type} event to append carries neither its JSON nor its object"));
}

public sealed record StoredEvent(
    long Position,
    string Stream,
    long Version,
    string Type,
    string? StatementId,
    string Organization,
    DateTimeOffset? PublishedAt,
    DateTimeOffset RecordedAt,
    string RecordedBy,
    string Data)
{
    /// <summary>
    /// Why the stored row no longer reads as an event (a timestamp that is not one), when a verifying read found it so;
    /// the other members then hold what could be read. Only tampering leaves such a row.
    /// </summary>
    public string? Unreadable { get; init; }
}

public sealed record AppendResult(long NextExpectedVersion, long FirstPosition, long LastPosition);

public sealed record StreamInfo(string Stream, string Organization, long Version);

/// <summary>Filters for reads and subscriptions; an empty or null set matches everything.</summary>
public sealed record EventFilter(
    IReadOnlyCollection<string>? Matters = null,
    IReadOnlyCollection<string>? Organizations = null,
    IReadOnlyCollection<string>? Types = null)
{
    public static EventFilter All { get; } = new();

    public bool Matches(StoredEvent e) =>
        (Matters is not { Count: > 0 } || Matters.Contains(e.Stream))
        && (Organizations is not { Count: > 0 } || Organizations.Contains(e.Organization))
        && (Types is not { Count: > 0 } || Types.Contains(e.Type));
}

/// <summary>Another writer got there first. Reported to the user (exit code 3), never overwritten.</summary>
public sealed class ConcurrencyConflictException : Exception
{
    public ConcurrencyConflictException()
    {
    }

    public ConcurrencyConflictException(string message)
        : base(message)
    {
    }

    public ConcurrencyConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static ConcurrencyConflictException WrongVersion(string stream, long expected, long actual) =>
        new($"matter {stream} changed while this import ran: expected version {expected}, found {actual}; nothing of this document was appended");

    public static ConcurrencyConflictException DuplicateStatement(string stream, Exception inner) =>
        new($"a statement of this document for matter {stream} was recorded by another writer meanwhile; nothing of this document was appended", inner);
}

/// <summary>The store holds rows its writer did not append; nothing more is appended or signed over them (exit code 5).</summary>
public sealed class StoreTamperedException : Exception
{
    public StoreTamperedException()
    {
    }

    public StoreTamperedException(string message)
        : base(message)
    {
    }

    public StoreTamperedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
