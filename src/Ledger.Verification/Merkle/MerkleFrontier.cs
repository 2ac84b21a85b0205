namespace Ledger.Verification;

/// <summary>
/// The right edge of a tree: the complete subtrees whose decomposition makes leaves [0, size), at most one per
/// level. They are exactly the left siblings any later append combines with, so a writer that holds the
/// frontier (≤ 64 hashes) turns each appended leaf into the new nodes to store without reading anything,
/// e.g. inside the transaction that appends the event.
/// </summary>
public sealed class MerkleFrontier
{
    // Index L holds the complete subtree of 2^L leaves on the edge, when bit L of Size is set.
    private readonly byte[]?[] edge = new byte[]?[64];

    public long Size { get; private set; }

    /// <summary>The frontier of the first <paramref name="size"/> leaves of a source: one read of O(log n) nodes.</summary>
    public static async ValueTask<MerkleFrontier> LoadAsync(IMerkleNodeSource source, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, source.Size);
        var nodes = new List<MerkleNodeId>();
        MerkleMath.Decompose(0, size, nodes);
        var hashes = await source.GetNodesAsync(nodes, cancellationToken).ConfigureAwait(false);
        var frontier = new MerkleFrontier { Size = size };
        for (var i = 0; i < nodes.Count; i++)
        {
            frontier.edge[nodes[i].Level] = hashes[i].ToArray();
        }

        return frontier;
    }

    /// <summary>
    /// Appends a leaf hash; returns the nodes it completes, lowest first: the leaf itself at level 0, then one
    /// node per level up to the largest subtree it closes. Store them all; none ever changes.
    /// </summary>
    public IReadOnlyList<(MerkleNodeId Node, byte[] Hash)> Append(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleHashes.Size)
        {
            throw new ArgumentException("a leaf hash is a SHA-256 hash", nameof(leafHash));
        }

        var index = Size;
        var completed = new List<(MerkleNodeId, byte[])>();
        var hash = leafHash.ToArray();
        var level = 0;
        completed.Add((new MerkleNodeId(0, index), hash));
        while (((index >> level) & 1) == 1)
        {
            hash = MerkleHashes.Node(edge[level]!, hash);
            edge[level] = null;
            level++;
            completed.Add((new MerkleNodeId(level, index >> level), hash));
        }

        edge[level] = hash;
        Size = index + 1;
        return completed;
    }

    /// <summary>
    /// Appends a leaf hash and adds the hashes of the nodes it completes at <paramref name="fromLevel"/> and above to
    /// <paramref name="completed"/>, lowest first: for a writer that stores only the upper levels, without a list per leaf.
    /// </summary>
    public void Append(ReadOnlySpan<byte> leafHash, int fromLevel, ICollection<byte[]> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        ArgumentOutOfRangeException.ThrowIfNegative(fromLevel);
        if (leafHash.Length != MerkleHashes.Size)
        {
            throw new ArgumentException("a leaf hash is a SHA-256 hash", nameof(leafHash));
        }

        var index = Size;
        var hash = leafHash.ToArray();
        var level = 0;
        if (fromLevel == 0)
        {
            completed.Add(hash);
        }

        while (((index >> level) & 1) == 1)
        {
            hash = MerkleHashes.Node(edge[level]!, hash);
            edge[level] = null;
            level++;
            if (level >= fromLevel)
            {
                completed.Add(hash);
            }
        }

        edge[level] = hash;
        Size = index + 1;
    }

    /// <summary>The root hash of the tree of <see cref="Size"/> leaves.</summary>
    public byte[] Root()
    {
        byte[]? root = null;
        for (var level = 0; level < edge.Length; level++)
        {
            if (edge[level] is { } node)
            {
                root = root is null ? node : MerkleHashes.Node(node, root);
            }
        }

        return root ?? MerkleHashes.Empty();
    }
}
