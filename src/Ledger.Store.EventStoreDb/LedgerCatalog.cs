using Ledger.Storage;
using Ledger.Store.EventStoreDb.Protocol.Streams;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// What the client knows of one ledger in $all: the events of its streams (those named with the ledger's prefix) in $all
/// order. Our 1-based global position is the ordinal of an event in this list; the server's commit/prepare positions are
/// gaps-and-all byte offsets of the whole node's log, so they cannot serve as our contiguous positions. The list also
/// answers stream versions (ListStreams) and statement ids (FindStatements).
/// Cost: opening a store reads the ledger's slice of $all once (a server-side stream-prefix filter); after that each
/// operation reads only what was appended since. Memory: one small entry per event.
/// </summary>
internal sealed class LedgerCatalog(EventStoreDbConnection connection, string prefix) : IDisposable
{
    private const ulong PageSize = 1000;

    private readonly SemaphoreSlim catchingUp = new(1, 1);
    private readonly Lock state = new();
    private readonly List<Entry> entries = [];
    private readonly Dictionary<string, StreamInfo> streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> statements = new(StringComparer.Ordinal);

    public string Prefix => prefix;

    public int Count
    {
        get
        {
            lock (state)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>The entry at a 1-based position.</summary>
    public Entry At(long position)
    {
        lock (state)
        {
            return entries[checked((int)position - 1)];
        }
    }

    public IReadOnlyList<StreamInfo> Streams()
    {
        lock (state)
        {
            return [.. streams.Values.OrderBy(s => s.Stream, StringComparer.Ordinal)];
        }
    }

    public bool Contains(string statementId)
    {
        lock (state)
        {
            return statements.ContainsKey(statementId);
        }
    }

    public (Entry Entry, long Position)? Statement(string statementId)
    {
        lock (state)
        {
            return statements.TryGetValue(statementId, out var index) ? (entries[index], index + 1L) : null;
        }
    }

    /// <summary>The 1-based position of a stream's event; searched from the end, where fresh appends are.</summary>
    public long? PositionOf(string matter, long version)
    {
        lock (state)
        {
            for (var i = entries.Count - 1; i >= 0; i--)
            {
                if (entries[i].Version == version && entries[i].Matter == matter)
                {
                    return i + 1;
                }
            }

            return null;
        }
    }

    /// <summary>The 1-based position of the event at this $all position, reading newer events first when it is not known yet.</summary>
    public async Task<long?> PositionOfAsync(ulong commit, ulong prepare, CancellationToken cancellationToken)
    {
        var known = Find(commit, prepare);
        if (known is not null)
        {
            return known;
        }

        await CatchUpAsync(cancellationToken);
        return Find(commit, prepare);
    }

    public long? Find(ulong commit, ulong prepare)
    {
        lock (state)
        {
            var index = entries.BinarySearch(new Entry(commit, prepare, string.Empty, 0), EntryOrder.Instance);
            return index >= 0 ? index + 1L : null;
        }
    }

    /// <summary>Reads the ledger's events appended to $all since the last catch-up.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await catchingUp.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                Entry? last;
                lock (state)
                {
                    last = entries.Count > 0 ? entries[^1] : null;
                }

                var page = await connection.RunAsync(client => ReadPageAsync(client, last, cancellationToken), cancellationToken);
                lock (state)
                {
                    foreach (var e in page)
                    {
                        Add(e);
                    }
                }

                if ((ulong)page.Count + (last is null ? 0UL : 1UL) < PageSize)
                {
                    return;
                }
            }
        }
        finally
        {
            catchingUp.Release();
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
        matter = stream?.Stream ?? matter;
        entries.Add(new Entry(e.CommitPosition, e.PreparePosition, matter, version));
        streams[matter] = new StreamInfo(matter, organization, version);
        if (envelope.StatementId is not null)
        {
            statements.TryAdd(envelope.StatementId, entries.Count - 1);
        }
    }

    /// <summary>Whether the event comes after the entry in $all.</summary>
    public static bool IsAfter(ReadResp.Types.ReadEvent.Types.RecordedEvent e, Entry entry) =>
        EntryOrder.Instance.Compare(new Entry(e.CommitPosition, e.PreparePosition, string.Empty, 0), entry) > 0;

    public void Dispose() => catchingUp.Dispose();

    internal readonly record struct Entry(ulong Commit, ulong Prepare, string Matter, long Version);

    private sealed class EntryOrder : IComparer<Entry>
    {
        public static EntryOrder Instance { get; } = new();

        public int Compare(Entry x, Entry y) =>
            x.Commit != y.Commit ? x.Commit.CompareTo(y.Commit) : x.Prepare.CompareTo(y.Prepare);
    }
}
