namespace Ledger.Verification;

/// <summary>
/// Complete subtree hashes in memory, one growing array per level. Appending a leaf stores it at level 0 and then
/// every subtree it completes, one per trailing one bit of its index: O(log n) hashes, amortized O(1).
/// </summary>
public sealed class MemoryMerkleNodes : IMerkleNodeSource
{
    private readonly List<List<byte[]>> levels = [];

    public long Size => levels.Count == 0 ? 0 : levels[0].Count;

    /// <summary>Appends a leaf hash; returns its leaf index.</summary>
    public long Append(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleHashes.Size)
        {
            throw new ArgumentException("a leaf hash is a SHA-256 hash", nameof(leafHash));
        }

        var index = Size;
        var hash = leafHash.ToArray();
        var position = index;
        for (var level = 0; ; level++)
        {
            if (levels.Count == level)
            {
                levels.Add([]);
            }

            levels[level].Add(hash);
            if ((position & 1) == 0)
            {
                return index;
            }

            hash = MerkleHashes.Node(levels[level][(int)(position - 1)], hash);
            position >>= 1;
        }
    }

    public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var result = new byte[nodes.Count][];
        for (var i = 0; i < nodes.Count; i++)
        {
            var (level, index) = nodes[i];
            if (level < 0 || level >= levels.Count || index < 0 || index >= levels[level].Count)
            {
                throw new ArgumentOutOfRangeException(nameof(nodes), $"node ({level}, {index}) is not a complete subtree of a tree of {Size}");
            }

            result[i] = levels[level][(int)index];
        }

        return ValueTask.FromResult<IReadOnlyList<byte[]>>(result);
    }
}
