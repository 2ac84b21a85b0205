using Grpc.Core;
using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// What the client knows of one ledger in $all: the events of its streams (those named with the ledger's prefix) in $all
/// order. Our 1-based global position is the ordinal of an event in this list; the server's commit/prepare positions are
/// gaps-and-all byte offsets of the whole node's log, so they cannot serve as our contiguous positions. The list also
/// answers stream versions (ListStreams) and statement ids (FindStatements).
/// Without a <see cref="ICatalogStore"/> opening a store reads the ledger's slice of $all once and keeps it in memory. With
/// one, opening reads $all only after the position the store holds through; the events read since stay in memory (the
/// tail) until <see cref="SaveEvery"/> of them, the opening catch-up or disposal save them there, and older positions are
/// looked up in the store.
/// </summary>
internal sealed class LedgerCatalog(EventStoreDbConnection connection, string prefix, ICatalogStore? saved) : IAsyncDisposable
{
    private const ulong PageSize = 1000;

    /// <summary>Events held in memory before they are saved: a crash loses at most these, which the next open reads again.</summary>
    public const int SaveEvery = 1000;

    private readonly SemaphoreSlim catchingUp = new(1, 1);
    private readonly Lock state = new();

    // The tail: the events after the saved ones (all of them without a store), with the streams and statements they touch.
    private readonly List<Entry> entries = [];
    private readonly Dictionary<string, StreamInfo> streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> statements = new(StringComparer.Ordinal);
    private long savedCount;
    private Entry? savedLast;
    private LedgerOrigin? origin;
    private string? lastEventId;

    public string Prefix => prefix;

    public int Count
    {
        get
        {
            lock (state)
            {
                return checked((int)(savedCount + entries.Count));
            }
        }
    }

    /// <summary>Loads what the store holds (refused when it belongs to another log than <paramref name="nodeOrigin"/>), then reads what follows in $all.</summary>
    public async Task OpenAsync(LedgerOrigin? nodeOrigin, CancellationToken cancellationToken)
    {
        if (saved is not null && await saved.LoadAsync(prefix, nodeOrigin, cancellationToken) is { } mark)
        {
            if (mark.Origin != nodeOrigin || mark.Prefix != prefix)
            {
                throw new InvalidDataException($"the saved catalogue of {mark.Prefix} began with {mark.Origin}, but the node's ledger {prefix} "
                    + (nodeOrigin is null ? "is empty" : $"begins with {nodeOrigin}"));
            }

            await CheckMarkAsync(mark, cancellationToken);
            lock (state)
            {
                savedCount = mark.Count;
                savedLast = new Entry(mark.Commit, mark.Prepare, string.Empty, 0);
                origin = mark.Origin;
                lastEventId = mark.LastEventId;
            }
        }

        await CatchUpAsync(save: true, cancellationToken);
    }

    /// <summary>
    /// Whether the node still has the event the saved catalogue ends with, at its $all position: a node that lost its latest
    /// writes (an in-memory node restarted and written again, a failover that truncated the log) has the same first event,
    /// so the origin passes, but ends before the mark or has another event there. The state's tree and read models then
    /// count events the node no longer has: refused as a store failure, never read as tampering.
    /// </summary>
    /// <exception cref="StateOfAnotherLogException">The node lost the event at the mark.</exception>
    private async Task CheckMarkAsync(CatalogMark mark, CancellationToken cancellationToken)
    {
        var last = await saved!.RangeAsync(mark.Count, 1, cancellationToken) is [var entry] ? entry : (CatalogEntry?)null;
        ReadResp.Types.ReadEvent.Types.RecordedEvent? found;
        try
        {
            found = await connection.RunAsync(client => FirstFromAsync(client, mark, cancellationToken), cancellationToken);
        }
        catch (RpcException error) when (error.StatusCode is StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.FailedPrecondition)
        {
            // A position inside another record: a log rewritten after the mark's event was lost.
            throw LostWrites(mark, last, $"the node cannot read $all there ({error.Status.Detail})");
        }

        if (found is null)
        {
            throw LostWrites(mark, last, "the node's ledger now ends before it");
        }

        var describe = $"event {found.Id.String} ({EventEncoding.StreamName(found)} revision {found.StreamRevision})";

        if (found.CommitPosition != mark.Commit || found.PreparePosition != mark.Prepare)
        {
            throw LostWrites(mark, last, $"the node has no event of the ledger there; its next one is {describe} at {found.CommitPosition}/{found.PreparePosition}");
        }

        var sameEvent = mark.LastEventId is { } id
            ? found.Id.String == id
            : last is { } known && EventEncoding.StreamName(found) == prefix + known.Matter && (long)found.StreamRevision + 1 == known.Version;
        if (!sameEvent)
        {
            throw LostWrites(mark, last, $"the node has another event there, {describe}");
        }
    }

    private async Task<ReadResp.Types.ReadEvent.Types.RecordedEvent?> FirstFromAsync(Streams.StreamsClient client, CatalogMark mark, CancellationToken cancellationToken)
    {
        var request = Requests.All(Requests.At(mark.Commit, mark.Prepare), Requests.StreamPrefixes([prefix]));
        request.Options.Count = 1;
        using var call = client.Read(request, connection.Options(cancellationToken));
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            if (call.ResponseStream.Current.Event?.Event is { } e)
            {
                return e;
            }
        }

        return null;
    }

    private StateOfAnotherLogException LostWrites(CatalogMark mark, CatalogEntry? last, string reason) =>
        StateLogOrigin.LostWrites(
            $" holds the EventStoreDB ledger {prefix} through its event {mark.Count} ("
                + string.Join(", ", new[] { last is { } entry ? $"matter {entry.Matter} version {entry.Version}" : null, mark.LastEventId is { } id ? $"event {id}" : null, $"$all position {mark.Commit}/{mark.Prepare}" }.OfType<string>())
                + ")",
            reason);

    /// <summary>The entry at a 1-based position, which must be within <see cref="Count"/>.</summary>
    public async Task<Entry> AtAsync(long position, CancellationToken cancellationToken)
    {
        var range = await RangeAsync(position, 1, cancellationToken);
        return range.Count == 1 ? range[0].Entry : throw new ArgumentOutOfRangeException(nameof(position), position, "beyond the catalogue");
    }

    /// <summary>At most <paramref name="count"/> entries from a 1-based position on, from the tail or the store.</summary>
    public async Task<IReadOnlyList<(long Position, Entry Entry)>> RangeAsync(long from, int count, CancellationToken cancellationToken)
    {
        long upTo;
        lock (state)
        {
            if (from > savedCount)
            {
                var start = (int)(from - savedCount - 1);
                return [.. entries.Skip(start).Take(count).Select((e, i) => (from + i, e))];
            }

            upTo = savedCount;
        }

        var rows = await saved!.RangeAsync(from, (int)Math.Min(count, upTo - from + 1), cancellationToken);
        return [.. rows.Select(r => (r.Position, new Entry(r.Commit, r.Prepare, r.Matter, r.Version)))];
    }

    public async Task<IReadOnlyList<StreamInfo>> StreamsAsync(CancellationToken cancellationToken)
    {
        var all = saved is null ? new Dictionary<string, StreamInfo>(StringComparer.Ordinal)
            : (await saved.StreamsAsync(cancellationToken)).ToDictionary(s => s.Stream, StringComparer.Ordinal);
        lock (state)
        {
            foreach (var (matter, stream) in streams)
            {
                // A stream begun before the tail keeps the organization of its first event.
                all[matter] = all.TryGetValue(matter, out var earlier) ? stream with { Organization = earlier.Organization } : stream;
            }
        }

        return [.. all.Values.OrderBy(s => s.Stream, StringComparer.Ordinal)];
    }

    /// <summary>The position of the event that first recorded the statement id.</summary>
    public async Task<long?> StatementAsync(string statementId, CancellationToken cancellationToken)
    {
        lock (state)
        {
            if (statements.TryGetValue(statementId, out var position))
            {
                return position;
            }
        }

        return saved is null ? null : await saved.StatementAsync(statementId, cancellationToken);
    }

    /// <summary>The 1-based position of a stream's event; searched from the end, where fresh appends are.</summary>
    public async Task<long?> PositionOfAsync(string matter, long version, CancellationToken cancellationToken)
    {
        lock (state)
        {
            for (var i = entries.Count - 1; i >= 0; i--)
            {
                if (entries[i].Version == version && entries[i].Matter == matter)
                {
                    return savedCount + i + 1;
                }
            }
        }

        return saved is null ? null : await saved.PositionOfAsync(matter, version, cancellationToken);
    }

    /// <summary>The 1-based position of the event at this $all position, reading newer events first when it is not known yet.</summary>
    public async Task<long?> PositionOfAsync(ulong commit, ulong prepare, CancellationToken cancellationToken)
    {
        var known = await FindAsync(commit, prepare, cancellationToken);
        if (known is not null)
        {
            return known;
        }

        await CatchUpAsync(cancellationToken);
        return await FindAsync(commit, prepare, cancellationToken);
    }

    public async Task<long?> FindAsync(ulong commit, ulong prepare, CancellationToken cancellationToken)
    {
        var key = new Entry(commit, prepare, string.Empty, 0);
        lock (state)
        {
            // Saved entries all come before the tail's.
            if (saved is null || (entries.Count > 0 && EntryOrder.Instance.Compare(key, entries[0]) >= 0))
            {
                var index = entries.BinarySearch(key, EntryOrder.Instance);
                return index >= 0 ? savedCount + index + 1 : null;
            }
        }

        return await saved.FindAsync(commit, prepare, cancellationToken);
    }

    /// <summary>Reads the ledger's events appended to $all since the last catch-up.</summary>
    public Task CatchUpAsync(CancellationToken cancellationToken) => CatchUpAsync(save: false, cancellationToken);

    private async Task CatchUpAsync(bool save, CancellationToken cancellationToken)
    {
        await catchingUp.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                Entry? last;
                lock (state)
                {
                    last = entries.Count > 0 ? entries[^1] : savedLast;
                }

                var page = await connection.RunAsync(client => ReadPageAsync(client, last, cancellationToken), cancellationToken);
                lock (state)
                {
                    foreach (var e in page)
                    {
                        Add(e);
                    }
                }

                if (entries.Count >= SaveEvery)
                {
                    await SaveAsync(cancellationToken);
                }

                if ((ulong)page.Count + (last is null ? 0UL : 1UL) < PageSize)
                {
                    break;
                }
            }

            if (save)
            {
                await SaveAsync(cancellationToken);
            }
        }
        finally
        {
            catchingUp.Release();
        }
    }

    /// <summary>Moves the tail into the store, in one transaction. Called under <see cref="catchingUp"/>, so nothing is added meanwhile.</summary>
    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (saved is null)
        {
            return;
        }

        List<CatalogEntry> tail;
        List<StreamInfo> touched;
        List<KeyValuePair<string, long>> recorded;
        CatalogMark mark;
        lock (state)
        {
            if (entries.Count == 0)
            {
                return;
            }

            tail = [.. entries.Select((e, i) => new CatalogEntry(savedCount + i + 1, e.Commit, e.Prepare, e.Matter, e.Version))];
            touched = [.. streams.Values];
            recorded = [.. statements];
            mark = new CatalogMark(prefix, origin!, savedCount + entries.Count, entries[^1].Commit, entries[^1].Prepare, lastEventId);
        }

        await saved.SaveAsync(mark, tail, touched, recorded, cancellationToken);
        lock (state)
        {
            savedCount = mark.Count;
            savedLast = entries[^1];
            entries.Clear();
            streams.Clear();
            statements.Clear();
        }
    }

    private async Task<List<ReadResp.Types.ReadEvent.Types.RecordedEvent>> ReadPageAsync(Streams.StreamsClient client, Entry? after, CancellationToken cancellationToken)
    {
        var request = Requests.All(
            after is { } from ? Requests.At(from.Commit, from.Prepare) : null,
            Requests.StreamPrefixes([prefix]));
        request.Options.Count = PageSize;
        using var call = client.Read(request, connection.Options(cancellationToken));
        var page = new List<ReadResp.Types.ReadEvent.Types.RecordedEvent>();
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            var e = call.ResponseStream.Current.Event?.Event;
            // The read is inclusive: the event we stopped at comes again.
            if (e is not null && !(after is { } a && e.CommitPosition == a.Commit && e.PreparePosition == a.Prepare))
            {
                page.Add(e);
            }
        }

        return page;
    }

    private void Add(ReadResp.Types.ReadEvent.Types.RecordedEvent e)
    {
        var name = EventEncoding.StreamName(e);
        var envelope = EventEncoding.EnvelopeOf(e);
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || envelope is null)
        {
            return;
        }

        var matter = name[prefix.Length..];
        var version = checked((long)e.StreamRevision + 1);
        var organization = streams.TryGetValue(matter, out var stream) ? stream.Organization : envelope.Organization;
        origin ??= new LedgerOrigin(e.Id.String, e.CommitPosition, e.PreparePosition);
        entries.Add(new Entry(e.CommitPosition, e.PreparePosition, matter, version));
        lastEventId = e.Id.String;
        streams[matter] = new StreamInfo(matter, organization, version);
        if (envelope.StatementId is not null)
        {
            statements.TryAdd(envelope.StatementId, savedCount + entries.Count);
        }
    }

    /// <summary>Whether the event comes after the entry in $all.</summary>
    public static bool IsAfter(ReadResp.Types.ReadEvent.Types.RecordedEvent e, Entry entry) =>
        EntryOrder.Instance.Compare(new Entry(e.CommitPosition, e.PreparePosition, string.Empty, 0), entry) > 0;

    /// <summary>Saves what is still in memory.</summary>
    public async ValueTask DisposeAsync()
    {
        await catchingUp.WaitAsync();
        try
        {
            await SaveAsync(CancellationToken.None);
        }
        finally
        {
            catchingUp.Release();
            catchingUp.Dispose();
        }
    }

    internal readonly record struct Entry(ulong Commit, ulong Prepare, string Matter, long Version);

    /// <summary>
    /// Positions of the events of one forward read of $all, which come in the catalogue's order: walks the entries from a
    /// position on, a page at a time, instead of looking each event up.
    /// </summary>
    internal sealed class Cursor(LedgerCatalog catalog, long from)
    {
        private const int Page = 1000;

        private IReadOnlyList<(long Position, Entry Entry)> page = [];
        private int index;
        private long next = from;

        /// <summary>The event's position; null when it is not in the catalogue (not one of the ledger's events).</summary>
        public async ValueTask<long?> PositionOfAsync(ulong commit, ulong prepare, CancellationToken cancellationToken)
        {
            var key = new Entry(commit, prepare, string.Empty, 0);
            while (true)
            {
                if (index == page.Count)
                {
                    page = await catalog.RangeAsync(next, Page, cancellationToken);
                    index = 0;
                    if (page.Count == 0)
                    {
                        return null;
                    }

                    next = page[^1].Position + 1;
                }

                var order = EntryOrder.Instance.Compare(page[index].Entry, key);
                if (order > 0)
                {
                    return null;
                }

                index++;
                if (order == 0)
                {
                    return page[index - 1].Position;
                }
            }
        }
    }

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static EntryOrder Instance { get; } = new();

        public int Compare(Entry x, Entry y) =>
            x.Commit != y.Commit ? x.Commit.CompareTo(y.Commit) : x.Prepare.CompareTo(y.Prepare);
    }
}
