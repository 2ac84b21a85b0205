using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// That an event is leaf <paramref name="LeafIndex"/> of the tree of <paramref name="TreeSize"/> leaves whose root is
/// <paramref name="RootHash"/>: anyone recomputes <paramref name="LeafHash"/> from the event's canonical bytes and folds
/// <paramref name="Path"/> (RFC 9162 order, lowest first) into the root.
/// </summary>
public sealed record InclusionProof(long LeafIndex, long TreeSize, byte[] LeafHash, byte[] RootHash, IReadOnlyList<byte[]> Path)
{
    public bool Verify() => MerkleVerifier.VerifyInclusion(LeafIndex, TreeSize, LeafHash, Path, RootHash);

    /// <summary>
    /// The proof of a stored event in the tree of <paramref name="treeSize"/> leaves (default: all of
    /// <paramref name="tree"/>); null when that tree does not hold the event.
    /// The leaf hash is recomputed from the event as read, so a proof is never issued for an altered event.
    /// </summary>
    /// <exception cref="InvalidOperationException">The event no longer matches the leaf the tree holds for it.</exception>
    public static async Task<InclusionProof?> ForAsync(IMerkleLog log, IMerkleNodeSource tree, StoredEvent e, long? treeSize = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(e);
        var size = treeSize ?? tree.Size;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, tree.Size, nameof(treeSize));
        if (await log.LeafIndexAsync(e.Position, cancellationToken).ConfigureAwait(false) is not { } leaf || leaf >= size)
        {
            return null;
        }

        var leafHash = CanonicalEvent.LeafHash(e);
        var path = await MerkleProofs.InclusionAsync(tree, leaf, size, cancellationToken).ConfigureAwait(false);
        var root = await MerkleProofs.RootAsync(tree, size, cancellationToken).ConfigureAwait(false);
        var proof = new InclusionProof(leaf, size, leafHash, root, path);
        return proof.Verify()
            ? proof
            : throw new InvalidOperationException($"the event at position {e.Position} ({e.StatementId ?? e.Stream}) does not match leaf {leaf} of the log: run `ledger verify`");
    }
}
