using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// The leaf hashes of appends announced ahead (<see cref="IPreparesAppends"/>), computed by a pool thread while the
/// previous append commits. The append takes up those announced for its very list, stream and version, else starts them.
/// </summary>
public sealed class PreparedLeafHashes
{
    private readonly ConditionalWeakTable<IReadOnlyList<EventToAppend>, LeafHashes> prepared = [];

    public void Prepare(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events) => prepared.AddOrUpdate(events, Start(stream, expectedVersion, events));

    /// <summary>The hashes announced for this append, or started now.</summary>
    public LeafHashes Take(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events) =>
        prepared.TryGetValue(events, out var hashes) && prepared.Remove(events) && hashes.IsFor(stream, expectedVersion) ? hashes : Start(stream, expectedVersion, events);

    private static LeafHashes Start(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events)
    {
        var hashes = new LeafHashes(stream, expectedVersion, events);
        _ = Task.Run(hashes.Compute, CancellationToken.None);
        return hashes;
    }
}

/// <summary>
/// The leaf hashes of events as they will be stored: versions follow the expected one, and the position is no part
/// of them. Computed by a pool thread while the writer inserts the events; the writer then takes the events not
/// started yet itself rather than wait.
/// </summary>
public sealed class LeafHashes(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events)
{
    public bool IsFor(string appendStream, long appendExpectedVersion) => appendStream == stream && appendExpectedVersion == expectedVersion;

    private readonly byte[][] hashes = new byte[events.Count][];
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int next = -1;
    private int finished;
    private Exception? error;

    public void Compute()
    {
        for (var i = Interlocked.Increment(ref next); i < hashes.Length; i = Interlocked.Increment(ref next))
        {
            try
            {
                var e = events[i];
                hashes[i] = CanonicalEvent.LeafHash(new StoredEvent(0, stream, expectedVersion + i + 1, e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, e.Data));
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref error, ex, null);
            }

            if (Interlocked.Increment(ref finished) == hashes.Length)
            {
                done.SetResult();
            }
        }
    }

    /// <exception cref="System.Text.Json.JsonException">An event's data is not I-JSON.</exception>
    public byte[][] Result()
    {
        Compute();
        done.Task.GetAwaiter().GetResult();
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return hashes;
    }
}
