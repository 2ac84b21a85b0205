using Ledger.Messaging.ReadModels;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// Extends the Merkle tree of an EventStoreDB ledger behind its appends, from the store's subscription, while this process
/// holds the tree's lock: the counterpart of the embedded store's append transaction and of Marten's daemon projection.
/// </summary>
public sealed class MerkleTreeProjector(IEventStore store, LedgerBackend backend, ILogger<MerkleTreeProjector> logger)
    : LeaderProjection(backend, LockName, "the Merkle tree projection", logger)
{
    public const string LockName = "merkle-tree";
    public const int BatchSize = 1000;

    protected override async Task ProjectAsync(CancellationToken lead)
    {
        var tree = ((EventStoreDbWithTree)store).Tree;
        var size = await tree.SizeAsync(lead);
        Logger.LogInformation("extending the Merkle tree from position {Position}", size + 1);
        await LogBatches.FollowAsync(store, size + 1, BatchSize, async (batch, token) => await tree.ExtendAsync(batch, token), lead);
    }
}
