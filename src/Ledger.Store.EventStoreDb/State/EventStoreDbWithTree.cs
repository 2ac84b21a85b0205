using Ledger.Messaging.ReadModels;
using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// An EventStoreDB ledger with the Merkle tree its state keeps: the events come from the node, the log (tree and signed
/// checkpoints) from the state (a SQLite file beside it, or its PostgreSQL database), extended behind the appends by <see cref="MerkleTreeProjector"/>;
/// the read models from the state too, kept by <see cref="ReadModelProjector"/>.
/// </summary>
public sealed class EventStoreDbWithTree(IEventStore ledger, IProjectedMerkleTree tree, ProjectedReadModels? readModels) : DelegatingEventStore(ledger), ITrailingVerifiableStore
{
    /// <summary>The read models the state keeps, when it keeps them.</summary>
    public override T? Feature<T>()
        where T : class => readModels as T ?? base.Feature<T>();

    public IProjectedMerkleTree Tree => tree;

    public IMerkleLog Merkle => tree.Merkle;

    /// <summary>
    /// Extends the tree to the log's end now: for commands that prove or sign where no worker may be running (the
    /// worker's projection does the same continuously).
    /// </summary>
    public async Task<long> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        var size = await tree.SizeAsync(cancellationToken);
        while (true)
        {
            var batch = await LogBatches.NextAsync(this, size + 1, 1000, cancellationToken);
            if (batch.Count == 0)
            {
                return size;
            }

            size = await tree.ExtendAsync(batch, cancellationToken);
        }
    }

    protected override async ValueTask DisposeCoreAsync()
    {
        await tree.DisposeAsync();
        if (readModels is not null)
        {
            await readModels.DisposeAsync();
        }

        await base.DisposeCoreAsync();
    }
}
