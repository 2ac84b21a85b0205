using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// An RFC 9162 inclusion proof of one event: its leaf in the tree of <paramref name="TreeSize"/> leaves, the path (lowest
/// first), the root, and the signed checkpoint of that size when there is one.
/// </summary>
public sealed record InclusionProof(long LeafIndex, long Position, long TreeSize, byte[] LeafHash, byte[] RootHash, IReadOnlyList<byte[]> Path, StoredCheckpoint? Checkpoint)
{
    public bool Verify() => MerkleVerifier.VerifyInclusion(LeafIndex, TreeSize, LeafHash, Path, RootHash);
}

/// <summary>Proves an event is in the log, and checks the proof before handing it out.</summary>
public static class ProveInclusion
{
    /// <summary>Proves <paramref name="e"/> in the tree of <paramref name="size"/> leaves; null: the latest signed checkpoint's size if it covers the event, else the tree now.</summary>
    /// <exception cref="ArgumentException">The size is not one the tree has, or it does not cover the event.</exception>
    /// <exception cref="LogIntegrityException">The event is not in the tree, or the proof does not hold: the log was changed.</exception>
    public static async Task<InclusionProof> RunAsync(IMerkleLog log, StoredEvent e, long? size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(e);
        var what = Describe(e);
        var tree = await log.OpenTreeAsync(cancellationToken).ConfigureAwait(false);
        var leaf = await log.LeafIndexAsync(e.Position, cancellationToken).ConfigureAwait(false);
        if (leaf is not { } index || index >= tree.Size)
        {
            throw new LogIntegrityException($"{what} is not in the Merkle tree yet (the tree holds {tree.Size} leaves)");
        }

        var checkpoints = await log.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var treeSize = size ?? (checkpoints.Count > 0 && checkpoints[^1].TreeSize > index && checkpoints[^1].TreeSize <= tree.Size ? checkpoints[^1].TreeSize : tree.Size);
        if (treeSize > tree.Size)
        {
            throw new ArgumentException($"tree size {treeSize}: the tree holds {tree.Size} leaves");
        }

        if (treeSize <= index)
        {
            throw new ArgumentException($"tree size {treeSize} does not cover {what}, which is leaf {index}: the size must be at least {index + 1}");
        }

        var proof = await ProveAsync(tree, e, index, treeSize, cancellationToken).ConfigureAwait(false);
        var checkpoint = checkpoints.FirstOrDefault(c => c.TreeSize == treeSize);
        if (checkpoint is not null && !checkpoint.RootHash.AsSpan().SequenceEqual(proof.RootHash))
        {
            throw new LogIntegrityException($"the tree's root at size {treeSize} differs from the signed checkpoint of that size; run ledger verify");
        }

        return proof with { Checkpoint = checkpoint };
    }

    /// <summary>
    /// The proof of a stored event in an open tree of <paramref name="size"/> leaves (default: all of it), for what the
    /// ledger sends out as it records (live streams, webhooks, feeds); null when that tree does not hold the event yet.
    /// </summary>
    /// <exception cref="LogIntegrityException">The event no longer matches its leaf: the log was changed.</exception>
    public static async Task<InclusionProof?> InTreeAsync(IMerkleLog log, IMerkleNodeSource tree, StoredEvent e, long? size = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(e);
        var treeSize = size ?? tree.Size;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(treeSize, tree.Size, nameof(size));
        return await log.LeafIndexAsync(e.Position, cancellationToken).ConfigureAwait(false) is { } index && index < treeSize
            ? await ProveAsync(tree, e, index, treeSize, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>
    /// The proof of a stored event in the tree of the latest witnessed checkpoint (<paramref name="witnessedSize"/>
    /// leaves) when that tree holds it, so a receiver can check it against the cosigned note; else in the whole open tree.
    /// Null when the open tree does not hold the event yet.
    /// </summary>
    /// <exception cref="LogIntegrityException">The event no longer matches its leaf: the log was changed.</exception>
    public static async Task<InclusionProof?> InWitnessedTreeAsync(IMerkleLog log, IMerkleNodeSource tree, StoredEvent e, long? witnessedSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(e);
        if (await log.LeafIndexAsync(e.Position, cancellationToken).ConfigureAwait(false) is not { } index || index >= tree.Size)
        {
            return null;
        }

        var size = witnessedSize is { } witnessed && index < witnessed && witnessed <= tree.Size ? witnessed : tree.Size;
        return await ProveAsync(tree, e, index, size, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<InclusionProof> ProveAsync(IMerkleNodeSource tree, StoredEvent e, long index, long treeSize, CancellationToken cancellationToken)
    {
        var stored = (await tree.GetNodesAsync([new MerkleNodeId(0, index)], cancellationToken).ConfigureAwait(false))[0];
        if (!stored.AsSpan().SequenceEqual(CanonicalEvent.LeafHash(e)))
        {
            throw new LogIntegrityException($"{Describe(e)} no longer matches its leaf hash (leaf {index}): its stored content changed; run ledger verify");
        }

        var root = await MerkleProofs.RootAsync(tree, treeSize, cancellationToken).ConfigureAwait(false);
        var path = await MerkleProofs.InclusionAsync(tree, index, treeSize, cancellationToken).ConfigureAwait(false);
        var proof = new InclusionProof(index, e.Position, treeSize, stored, root, path, null);
        return proof.Verify()
            ? proof
            : throw new LogIntegrityException($"the inclusion proof of leaf {index} in the tree of {treeSize} does not verify; run ledger verify");
    }

    internal static string Describe(StoredEvent e) =>
        e.StatementId is { } id ? $"statement {id} ({e.Stream} v{e.Version}, position {e.Position})" : $"the {e.Type} event of {e.Stream} v{e.Version} (position {e.Position})";
}
