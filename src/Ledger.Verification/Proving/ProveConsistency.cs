namespace Ledger.Verification;

/// <summary>An RFC 9162 consistency proof between two tree sizes, with both roots and the checkpoints signed at those sizes.</summary>
public sealed record ConsistencyProof(long OldSize, long NewSize, byte[] OldRoot, byte[] NewRoot, IReadOnlyList<byte[]> Path, StoredCheckpoint? OldCheckpoint, StoredCheckpoint? NewCheckpoint);

/// <summary>Proves the tree of one size extends the tree of a smaller one, and checks the proof before handing it out.</summary>
public static class ProveConsistency
{
    /// <exception cref="ArgumentException">The sizes are not 1 ≤ old ≤ new ≤ the tree's size.</exception>
    /// <exception cref="LogIntegrityException">The proof does not hold, or a root differs from the one signed at its size.</exception>
    public static async Task<ConsistencyProof> RunAsync(IMerkleLog log, long oldSize, long newSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        var tree = await log.OpenTreeAsync(cancellationToken).ConfigureAwait(false);
        if (oldSize < 1 || newSize < oldSize || newSize > tree.Size)
        {
            throw new ArgumentException($"sizes {oldSize} and {newSize}: a consistency proof needs 1 <= old size <= new size <= {tree.Size} (the tree's size)");
        }

        var oldRoot = await MerkleProofs.RootAsync(tree, oldSize, cancellationToken).ConfigureAwait(false);
        var newRoot = await MerkleProofs.RootAsync(tree, newSize, cancellationToken).ConfigureAwait(false);
        var path = await MerkleProofs.ConsistencyAsync(tree, oldSize, newSize, cancellationToken).ConfigureAwait(false);
        var checkpoints = await log.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var oldCheckpoint = checkpoints.FirstOrDefault(c => c.TreeSize == oldSize);
        var newCheckpoint = checkpoints.FirstOrDefault(c => c.TreeSize == newSize);
        foreach (var (checkpoint, root) in new[] { (oldCheckpoint, oldRoot), (newCheckpoint, newRoot) })
        {
            if (checkpoint is not null && !checkpoint.RootHash.AsSpan().SequenceEqual(root))
            {
                throw new LogIntegrityException($"the tree's root at size {checkpoint.TreeSize} differs from the signed checkpoint of that size; run ledger verify");
            }
        }

        if (!MerkleVerifier.VerifyConsistency(oldSize, newSize, oldRoot, newRoot, path))
        {
            throw new LogIntegrityException($"the consistency proof from size {oldSize} to size {newSize} does not verify; run ledger verify");
        }

        return new ConsistencyProof(oldSize, newSize, oldRoot, newRoot, path, oldCheckpoint, newCheckpoint);
    }
}
