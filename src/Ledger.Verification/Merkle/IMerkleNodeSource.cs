namespace Ledger.Verification;

/// <summary>A complete subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L). Level 0 nodes are leaf hashes.</summary>
public readonly record struct MerkleNodeId(int Level, long Index)
{
    public long FirstLeaf => Index << Level;

    public long EndLeaf => (Index + 1) << Level;
}

/// <summary>
/// Where the hashes of complete subtrees live. A complete subtree never changes once its last leaf is appended,
/// so a store keeps each one once (a row per (level, index), or tiles of them) and a proof reads O(log n) of them.
/// </summary>
public interface IMerkleNodeSource
{
    /// <summary>How many leaves the source holds now.</summary>
    long Size { get; }

    /// <summary>The hashes of these complete subtrees, in the order asked; one round trip for a whole proof.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A node is not complete at the current size.</exception>
    ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default);
}
