namespace Ledger.Verification;

/// <summary>
/// Complete subtree hashes in memory, one growing array per level, appended through a <see cref="MerkleFrontier"/>:
/// O(log n) hashes per leaf, amortized O(1). Not thread-safe: one writer, and no reads during a write.
/// </summary>
public sealed class MemoryMerkleNodes : IMerkleNodeSource
{
    private readonly List<List<byte[]>> levels = [];
    private readonly MerkleFrontier frontier = new();

    public long Size => frontier.Size;

    /// <summary>The root hash at the current size.</summary>
    public byte[] Root() => frontier.Root();

    /// <summary>Appends a leaf hash; returns its leaf index.</summary>
    public long Append(byte[] leafHash)
    {
        var index = frontier.Size;
        foreach (var (node, hash) in frontier.Append(leafHash))
        {
            if (levels.Count == node.Level)
            {
                levels.Add([]);
            }

            levels[node.Level].Add(hash);
        }

        return index;
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
