using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Messaging.Hosting;

/// <summary>
/// An EventStoreDB ledger with the Merkle tree its state keeps: the events come from the node, the log (tree and signed
/// checkpoints) from the state (a SQLite file beside it, or its PostgreSQL database), extended behind the appends by <see cref="Verifying.MerkleTreeProjection"/>.
/// </summary>
public sealed class EventStoreDbWithTree(IEventStore ledger, IProjectedMerkleTree tree) : IEventStore, IVerifiableStore
{
    public IProjectedMerkleTree Tree => tree;

    public IMerkleLog Merkle => tree.Merkle;

    /// <summary>
    /// Extends the tree to the log's end now: for commands that prove or sign where no worker may be running (the
    /// worker's projection does the same continuously).
    /// </summary>
    public async Task<long> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        const int Chunk = 1000;
        var size = await tree.SizeAsync(cancellationToken);
        while (true)
        {
            var batch = new List<StoredEvent>(Chunk);
            await foreach (var e in ledger.ReadAllAsync(size + 1, null, cancellationToken))
            {
                batch.Add(e);
                if (batch.Count == Chunk)
                {
                    break;
                }
            }

            if (batch.Count == 0)
            {
                return size;
            }

            size = await tree.ExtendAsync(batch, cancellationToken);
        }
    }

    public Task<AppendResult> AppendAsync(string stream, long expectedVersion, IReadOnlyList<EventToAppend> events, CancellationToken cancellationToken = default) =>
        ledger.AppendAsync(stream, expectedVersion, events, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadStreamAsync(string stream, long fromVersion = 1, CancellationToken cancellationToken = default) =>
        ledger.ReadStreamAsync(stream, fromVersion, cancellationToken);

    public IAsyncEnumerable<StoredEvent> ReadAllAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        ledger.ReadAllAsync(fromPosition, filter, cancellationToken);

    public IAsyncEnumerable<StoredEvent> SubscribeAsync(long fromPosition = 1, EventFilter? filter = null, CancellationToken cancellationToken = default) =>
        ledger.SubscribeAsync(fromPosition, filter, cancellationToken);

    public Task<IReadOnlyList<StreamInfo>> ListStreamsAsync(CancellationToken cancellationToken = default) => ledger.ListStreamsAsync(cancellationToken);

    public Task<IReadOnlyDictionary<string, StoredEvent>> FindStatementsAsync(IReadOnlyCollection<string> statementIds, CancellationToken cancellationToken = default) =>
        ledger.FindStatementsAsync(statementIds, cancellationToken);

    public Task<long> LastPositionAsync(CancellationToken cancellationToken = default) => ledger.LastPositionAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await tree.DisposeAsync();
        await ledger.DisposeAsync();
    }
}
