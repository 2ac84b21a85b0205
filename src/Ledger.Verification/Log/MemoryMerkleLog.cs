using System.Runtime.CompilerServices;
using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// A Merkle log in memory over a sequence of events: leaf i is the i-th event given. It is what offline verification
/// of an export builds, and a reference for the stores' logs. The <c>Tamper…</c> methods change what the log holds
/// behind the tree's back, the way an edited database would, so that verifiers can be shown to notice.
/// Not thread-safe: one writer, and no reads during a write.
/// </summary>
public sealed class MemoryMerkleLog : IMerkleLog
{
    private readonly List<long> positions = [];
    private readonly List<StoredEvent?> events = [];
    private readonly List<StoredEvent> beyondTree = [];
    private readonly Dictionary<long, long> leafOfPosition = [];
    private readonly List<StoredCheckpoint> checkpoints = [];
    private MemoryMerkleNodes nodes = new();

    /// <summary>How many leaves the tree holds.</summary>
    public long Size => nodes.Size;

    /// <summary>A log whose leaves are these events, in the order given.</summary>
    /// <exception cref="System.Text.Json.JsonException">An event's data is not I-JSON.</exception>
    public static MemoryMerkleLog From(IEnumerable<StoredEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var log = new MemoryMerkleLog();
        foreach (var e in events)
        {
            log.Append(e);
        }

        return log;
    }

    /// <summary>Appends an event as the next leaf; returns its leaf index.</summary>
    public long Append(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (positions.Count > 0 && e.Position <= positions[^1])
        {
            throw new ArgumentException($"event at position {e.Position} comes after position {positions[^1]}: leaves follow the global order", nameof(e));
        }

        var index = nodes.Append(CanonicalEvent.LeafHash(e));
        positions.Add(e.Position);
        events.Add(e);
        leafOfPosition[e.Position] = index;
        return index;
    }

    /// <summary>Every event the store holds now in global order: the leaves' events, then those stored beyond the tree.</summary>
    public IEnumerable<StoredEvent> StoredEvents => events.OfType<StoredEvent>().Concat(beyondTree).OrderBy(e => e.Position);

    /// <summary>Replaces the event stored for a leaf (null: it is gone), leaving the tree as it was: an edited row.</summary>
    public void TamperEvent(long leafIndex, StoredEvent? replacement)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leafIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(leafIndex, Size);
        events[(int)leafIndex] = replacement;
    }

    /// <summary>Stores an event that no leaf covers, as a writer bypassing the log would.</summary>
    public void TamperStoreWithoutLeaf(StoredEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        beyondTree.Add(e);
    }

    /// <summary>Recomputes the whole tree from the events stored now, keeping the checkpoints: a rewritten history whose leaf hashes all match.</summary>
    public void TamperRewriteTree()
    {
        var rewritten = new MemoryMerkleNodes();
        foreach (var e in events)
        {
            rewritten.Append(e is null ? MerkleHashes.Leaf([]) : CanonicalEvent.LeafHash(e));
        }

        nodes = rewritten;
    }

    public Task<IMerkleNodeSource> OpenTreeAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IMerkleNodeSource>(new FixedTree(nodes, nodes.Size));

    public Task<long?> LeafIndexAsync(long position, CancellationToken cancellationToken = default) =>
        Task.FromResult(leafOfPosition.TryGetValue(position, out var index) ? index : (long?)null);

    public async IAsyncEnumerable<MerkleLeaf> ReadLeavesAsync(long fromIndex = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromIndex);
        var tree = nodes;
        var size = tree.Size;
        for (var i = fromIndex; i < size; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var hash = (await tree.GetNodesAsync([new MerkleNodeId(0, i)], cancellationToken).ConfigureAwait(false))[0];
            yield return new MerkleLeaf(i, positions[(int)i], hash.ToArray(), events[(int)i]);
        }
    }

    /// <summary>Events stored without a leaf: inside the tree's range (or before position 1) they are forged; after it, they wait for the tree.</summary>
    public async IAsyncEnumerable<UncoveredEvent> ReadUncoveredAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var e in beyondTree.OrderBy(e => e.Position))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new UncoveredEvent(e, e.Position < 1 ? "is stored outside the log's positions (1 and up): it was inserted behind the log's back"
                : positions.Count > 0 && e.Position < positions[^1] ? "is stored inside the tree's range but no leaf covers it: it was inserted behind the log's back"
                : null);
        }
    }

    public Task<IReadOnlyList<StoredCheckpoint>> ReadCheckpointsAsync(bool latestOnly, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredCheckpoint>>(latestOnly ? [.. checkpoints.TakeLast(1)] : [.. checkpoints]);

    public Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var kept = checkpoints.FindIndex(c => c.TreeSize == checkpoint.TreeSize);
        if (kept >= 0)
        {
            var same = checkpoints[kept];
            return same.Note == checkpoint.Note && same.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash)
                ? Task.CompletedTask
                : throw new InvalidOperationException($"a different checkpoint of tree size {checkpoint.TreeSize} is already kept");
        }

        checkpoints.Add(checkpoint);
        checkpoints.Sort((a, b) => a.TreeSize.CompareTo(b.TreeSize));
        return Task.CompletedTask;
    }

    /// <summary>The tree as it was when opened: nodes completed later are out of reach.</summary>
    private sealed class FixedTree(MemoryMerkleNodes nodes, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> ids, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(ids);
            foreach (var id in ids)
            {
                if (id.EndLeaf > size)
                {
                    throw new ArgumentOutOfRangeException(nameof(ids), $"node ({id.Level}, {id.Index}) is not a complete subtree of a tree of {size}");
                }
            }

            return nodes.GetNodesAsync(ids, cancellationToken);
        }
    }
}
