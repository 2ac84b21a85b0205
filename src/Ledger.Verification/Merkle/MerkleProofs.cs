namespace Ledger.Verification;

/// <summary>
/// Roots and proofs of RFC 9162 section 2.1 over a node source. Each asks the source once for the O(log n)
/// complete subtrees it needs and folds them; nothing is recomputed from the leaves.
/// </summary>
public static class MerkleProofs
{
    /// <summary>The root hash of the tree of the first <paramref name="size"/> leaves (any size up to the source's).</summary>
    public static ValueTask<byte[]> RootAsync(IMerkleNodeSource source, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSize(source, size);
        return size == 0 ? ValueTask.FromResult(MerkleHashes.Empty()) : Root(source, size, cancellationToken);

        static async ValueTask<byte[]> Root(IMerkleNodeSource source, long size, CancellationToken cancellationToken) =>
            (await HashRangesAsync(source, [(0, size)], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>The inclusion path (RFC 9162 PATH) of leaf <paramref name="leafIndex"/> in the tree of <paramref name="size"/> leaves, lowest first.</summary>
    public static ValueTask<IReadOnlyList<byte[]>> InclusionAsync(IMerkleNodeSource source, long leafIndex, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSize(source, size);
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, size);
        var ranges = new List<(long, long)>();
        MerkleMath.InclusionRanges(leafIndex, 0, size, ranges);
        return HashRangesAsync(source, ranges, cancellationToken);
    }

    /// <summary>The consistency proof (RFC 9162 PROOF) from the tree of <paramref name="oldSize"/> leaves to that of <paramref name="newSize"/>; empty when the sizes are equal or the old one is 0.</summary>
    public static ValueTask<IReadOnlyList<byte[]>> ConsistencyAsync(IMerkleNodeSource source, long oldSize, long newSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckSize(source, newSize);
        ArgumentOutOfRangeException.ThrowIfNegative(oldSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oldSize, newSize);
        if (oldSize == 0 || oldSize == newSize)
        {
            return ValueTask.FromResult<IReadOnlyList<byte[]>>([]);
        }

        var ranges = new List<(long, long)>();
        MerkleMath.ConsistencyRanges(oldSize, 0, newSize, whole: true, ranges);
        return HashRangesAsync(source, ranges, cancellationToken);
    }

    private static void CheckSize(IMerkleNodeSource source, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (size > source.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the log holds {source.Size} leaves");
        }
    }

    private static async ValueTask<IReadOnlyList<byte[]>> HashRangesAsync(IMerkleNodeSource source, List<(long Start, long End)> ranges, CancellationToken cancellationToken)
    {
        var nodes = new List<MerkleNodeId>();
        var counts = new int[ranges.Count];
        for (var i = 0; i < ranges.Count; i++)
        {
            var before = nodes.Count;
            MerkleMath.Decompose(ranges[i].Start, ranges[i].End, nodes);
            counts[i] = nodes.Count - before;
        }

        var hashes = await source.GetNodesAsync(nodes, cancellationToken).ConfigureAwait(false);
        if (hashes.Count != nodes.Count)
        {
            throw new InvalidOperationException($"the node source returned {hashes.Count} hashes for {nodes.Count} nodes");
        }

        var result = new byte[ranges.Count][];
        var next = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            // MTH of an aligned range: its complete parts folded from the right.
            var last = next + counts[i] - 1;
            var hash = hashes[last];
            for (var j = last - 1; j >= next; j--)
            {
                hash = MerkleHashes.Node(hashes[j], hash);
            }

            result[i] = hash;
            next += counts[i];
        }

        return result;
    }
}
