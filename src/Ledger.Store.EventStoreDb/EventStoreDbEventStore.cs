using System.Runtime.CompilerServices;
using Grpc.Core;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// The ledger on EventStoreDB / KurrentDB over its gRPC v1 protocol. Each matter is the stream <c>prefix + matter</c>;
/// a ledger is the set of streams with its prefix. Positions are ordinals of the ledger's events in $all (see <see cref="LedgerCatalog"/>).
/// Statement ids are unique across the ledger's matters: before a matter's append, each new statement id is reserved by
/// appending to its own stream (see <see cref="StatementReservations"/>) with expected state "no stream", which the node
/// grants to one writer only.
/// </summary>
public sealed class EventStoreDbEventStore : IEventStore
{
    public const string DefaultStreamPrefix = "ledger/";

    private readonly EventStoreDbConnection connection;
    private readonly LedgerCatalog catalog;

    private readonly StatementReservations reservations;
    private readonly ICatalogStore? catalogStore;

    private EventStoreDbEventStore(EventStoreDbConnection connection, string streamPrefix, ICatalogStore? catalogStore)
    {
        this.connection = connection;
        this.catalogStore = catalogStore;
        catalog = new LedgerCatalog(connection, streamPrefix, catalogStore);
        reservations = new StatementReservations(connection, streamPrefix);
    }

    public string StreamPrefix => catalog.Prefix;

    /// <summary>Connects and reads what the ledger holds so far.</summary>
    /// <exception cref="FormatException">The connection string is invalid.</exception>
    public static Task<EventStoreDbEventStore> OpenAsync(string connectionString, string streamPrefix = DefaultStreamPrefix, CancellationToken cancellationToken = default) =>
        OpenAsync(connectionString, streamPrefix, null, cancellationToken);

    /// <summary>
    /// Connects, loads the catalogue <paramref name="catalogStore"/> keeps (which the store owns from now on, and which
    /// refuses the ledger of another log), and reads what the ledger holds past it.
    /// </summary>
    /// <exception cref="FormatException">The connection string is invalid.</exception>
    public static async Task<EventStoreDbEventStore> OpenAsync(string connectionString, string streamPrefix, ICatalogStore? catalogStore, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamPrefix);
        if (streamPrefix.StartsWith('$'))
        {
            throw new ArgumentException("streams starting with $ are the server's own", nameof(streamPrefix));
        }

        EventStoreDbEventStore store;
        try
        {
            var settings = EventStoreDbConnectionString.Parse(connectionString);
            store = new EventStoreDbEventStore(await EventStoreDbConnection.ConnectAsync(settings, cancellationToken), streamPrefix, catalogStore);
        }
        catch
        {
            if (catalogStore is not null)
            {
                await catalogStore.DisposeAsync();
            }

            throw;
        }

        try
        {
            await store.catalog.OpenAsync(catalogStore is null ? null : await store.OriginAsync(cancellationToken), cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>The ledger's first event, which identifies the log it is in; null while the ledger is empty.</summary>
    public async Task<LedgerOrigin?> OriginAsync(CancellationToken cancellationToken = default)
    {
        var request = Requests.All(null, Requests.StreamPrefixes([catalog.Prefix]));
        request.Options.Count = 1;
        await foreach (var response in ReadAsync(request, cancellationToken))
        {
            if (response.Event?.Event is { } e)
            {
                return new LedgerOrigin(e.Id.String, e.CommitPosition, e.PreparePosition);
            }
        }

        return null;
    }

    /// <summary>How many events the ledger holds, as of the last catch-up.</summary>
    internal long Count => catalog.Count;

    /// <summary>How many events the ledger holds now.</summary>
    internal async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await catalog.CatchUpAsync(cancellationToken);
        return catalog.Count;
    }

    public async Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        if (events.Count == 0)
        {
            throw new ArgumentException("nothing to append", nameof(events));
        }

        await catalog.CatchUpAsync(cancellationToken);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in events.Select(e => e.StatementId).OfType<string>())
        {
            if (!seen.Add(id) || await catalog.StatementAsync(id, cancellationToken) is not null)
            {
                throw ConcurrencyConflictException.DuplicateStatement(stream, new InvalidOperationException($"statement {id} is already recorded"));
            }
        }

        await Task.WhenAll(events.Where(e => e.StatementId is not null).Select(e => reservations.ReserveAsync(stream, e, cancellationToken)));

        // Proposed once, so a retry after a lost answer repeats the same event ids, which the server treats as idempotent.
        var proposed = events.Select(EventEncoding.Propose).ToList();
        var response = await connection.AppendAsync(
            Requests.Append(catalog.Prefix + stream, expectedVersion == 0 ? null : (ulong)expectedVersion - 1), proposed, cancellationToken);

        if (response.ResultCase == AppendResp.ResultOneofCase.WrongExpectedVersion)
        {
            var wrong = response.WrongExpectedVersion;
            var actual = wrong.CurrentRevisionOptionCase == AppendResp.Types.WrongExpectedVersion.CurrentRevisionOptionOneofCase.CurrentRevision
                ? (long)wrong.CurrentRevision + 1
                : 0;
            throw ConcurrencyConflictException.WrongVersion(stream, expectedVersion, actual);
        }

        var next = expectedVersion + events.Count;
        await catalog.CatchUpAsync(cancellationToken);
        var last = await catalog.PositionOfAsync(stream, next, cancellationToken)
            ?? throw new InvalidOperationException($"the append to {stream} succeeded but $all does not show it yet");
        return new AppendResult(next, last - events.Count + 1, last);
    }

    public async IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = Requests.Stream(catalog.Prefix + stream, (ulong)Math.Max(0, fromVersion - 1), Requests.Unbounded);
        await foreach (var response in ReadAsync(request, cancellationToken))
        {
            if (response.ContentCase == ReadResp.ContentOneofCase.StreamNotFound)
            {
                yield break;
            }

            if (response.Event?.Event is { } e)
            {
                yield return EventEncoding.ToStored(e, stream, await PositionAsync(e, cancellationToken));
            }
        }
    }

    public async IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await catalog.CatchUpAsync(cancellationToken);
        var end = catalog.Count;
        fromPosition = Math.Max(1, fromPosition);
        if (fromPosition > end)
        {
            yield break;
        }

        var from = await catalog.AtAsync(fromPosition, cancellationToken);
        var last = await catalog.AtAsync(end, cancellationToken);
        var positions = new LedgerCatalog.Cursor(catalog, fromPosition);
        var at = Requests.At(from.Commit, from.Prepare);
        (ulong Commit, ulong Prepare)? previous = null;
        for (var pages = 0; ; pages++)
        {
            // After the first page, one more for the event it ended with, which comes again.
            var page = (FirstReadPage << Math.Clamp(pages - 1, 0, ReadPageDoublings)) + (previous is null ? 0UL : 1UL);
            var request = Requests.All(at, ServerFilter(filter));
            request.Options.Count = page;
            var read = 0UL;
            await foreach (var response in ReadAsync(request, cancellationToken))
            {
                if (response.Event?.Event is not { } e)
                {
                    continue;
                }

                read++;
                if (previous == (e.CommitPosition, e.PreparePosition))
                {
                    // A page begins with the event the one before ended with: reads are inclusive.
                    continue;
                }

                previous = (e.CommitPosition, e.PreparePosition);
                if (LedgerCatalog.IsAfter(e, last))
                {
                    // Appended after this read began: "up to the end as it is now".
                    yield break;
                }

                // A type filter also lets through other ledgers' events of those types: they have no position here.
                if (IsOurs(e) && await positions.PositionOfAsync(e.CommitPosition, e.PreparePosition, cancellationToken) is { } position
                    && ToStored(e, position) is { } stored && (filter ?? EventFilter.All).Matches(stored))
                {
                    yield return stored;
                }
            }

            if (read < page || previous is not { } reached)
            {
                yield break;
            }

            at = Requests.At(reached.Commit, reached.Prepare);
        }
    }

    /// <summary>
    /// Reads of $all go a page at a time, the first two of a projection's batch (500 events for the read models, 1,000 for
    /// the tree), then growing: a caller that takes a batch and stops would otherwise have the node send on until HTTP/2
    /// flow control stops it, many events more than it reads.
    /// </summary>
    private const ulong FirstReadPage = 500;

    /// <summary>Pages grow to 16,000 events.</summary>
    private const int ReadPageDoublings = 5;

    /// <summary>
    /// A catch-up subscription to $all with a server-side filter: the matters as stream prefixes, else the types as event-type
    /// prefixes, else the ledger's prefix; organizations and exact names are checked here. The server's confirmation,
    /// checkpoints and caught-up messages carry nothing a caller of this contract needs. When the connection drops it
    /// subscribes again after the last event it saw (moving to another node if the cluster offers one), so callers see
    /// no gap and no duplicate; after <see cref="MaxResubscribes"/> failures in a row the error is the caller's.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = Math.Max(1, fromPosition) - 1;
        for (var failures = 0; ; failures++)
        {
            await catalog.CatchUpAsync(cancellationToken);
            RpcException? dropped = null;
            await using (var responses = ReadAsync(await SubscriptionRequestAsync(seen, filter, cancellationToken), cancellationToken).GetAsyncEnumerator(cancellationToken))
            {
                while (dropped is null)
                {
                    try
                    {
                        if (!await responses.MoveNextAsync())
                        {
                            yield break;
                        }
                    }
                    catch (RpcException error) when (failures < MaxResubscribes && !cancellationToken.IsCancellationRequested && IsTransient(error))
                    {
                        dropped = error;
                        continue;
                    }

                    if (responses.Current.Event?.Event is not { } e || !IsOurs(e))
                    {
                        continue;
                    }

                    var position = await catalog.PositionOfAsync(e.CommitPosition, e.PreparePosition, cancellationToken);
                    if (position is null || position <= seen)
                    {
                        continue;
                    }

                    seen = position.Value;
                    failures = 0;
                    if (ToStored(e, position.Value) is { } stored && (filter ?? EventFilter.All).Matches(stored))
                    {
                        yield return stored;
                    }
                }
            }

            await connection.ReconnectAsync(dropped, cancellationToken);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 * (1 << Math.Min(failures, 5)))), cancellationToken);
        }
    }

    /// <summary>Consecutive dropped subscriptions tolerated before the error reaches the caller.</summary>
    public const int MaxResubscribes = 10;

    /// <summary>BatchAppend calls that may die under one append, each followed by a new call that sends it again, before the error reaches the caller.</summary>
    public const int MaxLostAppendCalls = 3;

    private static bool IsTransient(RpcException error) =>
        error.StatusCode is StatusCode.Unavailable or StatusCode.Aborted
        || (error.StatusCode == StatusCode.Internal && error.Status.DebugException is HttpRequestException or IOException);

    /// <summary>Subscribes after the ledger's event at <paramref name="seen"/> (from the start when 0; from the catalog's end when beyond it).</summary>
    private async Task<ReadReq> SubscriptionRequestAsync(long seen, EventFilter? filter, CancellationToken cancellationToken)
    {
        var after = Math.Min(seen, catalog.Count);
        ReadReq.Types.Options.Types.Position? checkpoint = null;
        if (after > 0)
        {
            var entry = await catalog.AtAsync(after, cancellationToken);
            checkpoint = Requests.At(entry.Commit, entry.Prepare);
        }

        var request = Requests.All(checkpoint, ServerFilter(filter));
        request.Options.Subscription = new ReadReq.Types.Options.Types.SubscriptionOptions();
        return request;
    }

    public async Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default)
    {
        await catalog.CatchUpAsync(cancellationToken);
        return await catalog.StreamsAsync(cancellationToken);
    }

    /// <summary>Looks the ids up in the catalog, then reads each event from its stream (one read per statement found).</summary>
    public async Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, StoredEvent>(StringComparer.Ordinal);
        if (statementIds.Count == 0)
        {
            return found;
        }

        await catalog.CatchUpAsync(cancellationToken);
        foreach (var id in statementIds.Distinct(StringComparer.Ordinal))
        {
            if (await catalog.StatementAsync(id, cancellationToken) is not { } position)
            {
                continue;
            }

            var entry = await catalog.AtAsync(position, cancellationToken);
            await foreach (var e in ReadStreamAsync(entry.Matter, entry.Version, cancellationToken))
            {
                found[id] = e;
                break;
            }
        }

        return found;
    }

    /// <summary>Saves the catalogue's tail in its store, if it has one.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await catalog.DisposeAsync();
        }
        finally
        {
            if (catalogStore is not null)
            {
                await catalogStore.DisposeAsync();
            }

            connection.Dispose();
        }
    }

    private bool IsOurs(ReadResp.Types.ReadEvent.Types.RecordedEvent e) => EventEncoding.StreamName(e).StartsWith(catalog.Prefix, StringComparison.Ordinal);

    private StoredEvent? ToStored(ReadResp.Types.ReadEvent.Types.RecordedEvent e, long position) =>
        IsOurs(e) && EventEncoding.EnvelopeOf(e) is not null
            ? EventEncoding.ToStored(e, EventEncoding.StreamName(e)[catalog.Prefix.Length..], position)
            : null;

    private async Task<long> PositionAsync(ReadResp.Types.ReadEvent.Types.RecordedEvent e, CancellationToken cancellationToken) =>
        await catalog.PositionOfAsync(e.CommitPosition, e.PreparePosition, cancellationToken)
            ?? throw new InvalidDataException($"event {e.StreamRevision} of {EventEncoding.StreamName(e)} is not in $all");

    private ReadReq.Types.Options.Types.FilterOptions ServerFilter(EventFilter? filter) =>
        filter switch
        {
            { Matters.Count: > 0 } => Requests.StreamPrefixes(filter.Matters.Select(m => catalog.Prefix + m)),
            { Types.Count: > 0 } => Requests.EventTypes(filter.Types),
            _ => Requests.StreamPrefixes([catalog.Prefix]),
        };

    /// <summary>A read whose first answer may come from a node that sends us elsewhere; later failures end the read.</summary>
    private async IAsyncEnumerable<ReadResp> ReadAsync(ReadReq request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var call = connection.Streams.Read(request, connection.Options(cancellationToken, withDeadline: false));
            bool any;
            try
            {
                any = await EventStoreDbConnection.MoveNextAsync(call.ResponseStream, cancellationToken);
            }
            catch (RpcException error) when (attempt < 3)
            {
                call.Dispose();
                if (!await connection.ReconnectAsync(error, cancellationToken))
                {
                    throw;
                }

                continue;
            }
            catch
            {
                call.Dispose();
                throw;
            }

            using (call)
            {
                while (any)
                {
                    yield return call.ResponseStream.Current;
                    any = await EventStoreDbConnection.MoveNextAsync(call.ResponseStream, cancellationToken);
                }
            }

            yield break;
        }
    }
}
