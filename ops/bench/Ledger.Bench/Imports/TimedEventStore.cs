using System.Diagnostics;
using System.Runtime.CompilerServices;
using Ledger.Storage;

namespace Ledger.Bench.Imports;

/// <summary>Wall time an import spent inside each store call the handler makes; the handler overlaps them, so they do not add up to the run.</summary>
internal sealed record StoreTimes(TimeSpan Append, int Appends, TimeSpan ReadStream, int ReadStreams, TimeSpan FindStatements, int Finds);

/// <summary>
/// Passes every call to a store and times those of an import, to show where a backend spends the run. It announces
/// appends ahead as the store would hear them from `ledger import`, so the timed import does the work the real one does.
/// </summary>
internal sealed class TimedEventStore(IEventStore inner) : IEventStore, IPreparesAppends
{
    private long append, readStream, findStatements;
    private int appends, readStreams, finds;

    public StoreTimes Times => new(
        TimeSpan.FromTicks(Interlocked.Read(ref append)), Volatile.Read(ref appends),
        TimeSpan.FromTicks(Interlocked.Read(ref readStream)), Volatile.Read(ref readStreams),
        TimeSpan.FromTicks(Interlocked.Read(ref findStatements)), Volatile.Read(ref finds));

    public async Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.AppendAsync(stream, expectedVersion, events, cancellationToken);
        }
        finally
        {
            Add(ref append, ref appends, start);
        }
    }

    public async IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var e in inner.ReadStreamAsync(stream, fromVersion, cancellationToken))
            {
                yield return e;
            }
        }
        finally
        {
            Add(ref readStream, ref readStreams, start);
        }
    }

    public async Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.FindStatementsAsync(statementIds, cancellationToken);
        }
        finally
        {
            Add(ref findStatements, ref finds, start);
        }
    }

    public IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        inner.ReadAllAsync(fromPosition, filter, cancellationToken);

    public IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(fromPosition, filter, cancellationToken);

    public Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default) => inner.ListStreamsAsync(cancellationToken);

    public void PrepareAppend(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events) =>
        (inner as IPreparesAppends)?.PrepareAppend(stream, expectedVersion, events);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private static void Add(ref long total, ref int count, long start)
    {
        Interlocked.Add(ref total, Stopwatch.GetElapsedTime(start).Ticks);
        Interlocked.Increment(ref count);
    }
}
