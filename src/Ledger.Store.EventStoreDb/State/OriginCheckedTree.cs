using Ledger.Storage;
using Ledger.Verification;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// A Merkle tree that checks which log it belongs to before it takes its first leaf: a state opened while the node's
/// ledger was empty learns the log's origin only then (see <see cref="StateLogOrigin"/>).
/// </summary>
internal sealed class OriginCheckedTree(IProjectedMerkleTree tree, Func<CancellationToken, Task> checkOrigin) : IProjectedMerkleTree
{
    public IMerkleLog Merkle => tree.Merkle;

    public Task<long> SizeAsync(CancellationToken cancellationToken = default) => tree.SizeAsync(cancellationToken);

    public async Task<long> ExtendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Any(e => e.Position == 1))
        {
            await checkOrigin(cancellationToken);
        }

        return await tree.ExtendAsync(events, cancellationToken);
    }

    public ValueTask DisposeAsync() => tree.DisposeAsync();
}
