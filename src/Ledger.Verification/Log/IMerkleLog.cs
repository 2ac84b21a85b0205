using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// The RFC 9162 tree a backend keeps over its ledger events: leaf i is the i-th event in global order (0-based),
/// its hash <see cref="CanonicalEvent.LeafHash"/>. The embedded store extends it in the append transaction; Marten's
/// daemon extends it behind the appends. Signed checkpoints of it are kept beside the events.
/// </summary>
public interface IMerkleLog
{
    /// <summary>The tree as committed now, fixed at that size: proofs over it stay valid while the log grows.</summary>
    Task<IMerkleNodeSource> OpenTreeAsync(CancellationToken cancellationToken = default);

    /// <summary>The leaf index of the event at this global position; null when the tree does not hold it (yet).</summary>
    Task<long?> LeafIndexAsync(long position, CancellationToken cancellationToken = default);

    /// <summary>
    /// The leaves from an index on, in leaf order, up to the tree's size when called: each with the hash the tree
    /// holds and the event stored for it now (null when that event is gone), so a verifier can recompute and compare.
    /// </summary>
    IAsyncEnumerable<MerkleLeaf> ReadLeavesAsync(long fromIndex = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// The events stored that no leaf covers, in position order, read as stored (a row that no longer reads as an event
    /// carries <see cref="StoredEvent.Unreadable"/>), each with why it is not one the ledger's writer appended; none for
    /// an append the tree has yet to take, which only a tree that trails the appends has.
    /// </summary>
    IAsyncEnumerable<UncoveredEvent> ReadUncoveredAsync(CancellationToken cancellationToken = default);

    /// <summary>The signed checkpoints, smallest tree first: every one, or only that of the largest tree (none before the first is signed).</summary>
    Task<IReadOnlyList<StoredCheckpoint>> ReadCheckpointsAsync(bool latestOnly, CancellationToken cancellationToken = default);

    /// <summary>Keeps a signed checkpoint. Checkpoints are never changed: one for a size already kept is refused unless identical.</summary>
    /// <exception cref="InvalidOperationException">A different checkpoint of the same size is kept.</exception>
    Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default);
}

public static class MerkleLogCheckpoints
{
    /// <summary>The signed checkpoint of the largest tree size; null before the first is signed.</summary>
    public static async Task<StoredCheckpoint?> LatestCheckpointAsync(this IMerkleLog log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        return (await log.ReadCheckpointsAsync(latestOnly: true, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Every signed checkpoint, smallest tree first.</summary>
    public static Task<IReadOnlyList<StoredCheckpoint>> ListCheckpointsAsync(this IMerkleLog log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        return log.ReadCheckpointsAsync(latestOnly: false, cancellationToken);
    }
}

/// <summary>A store that keeps a Merkle log over its events.</summary>
public interface IVerifiableStore
{
    IMerkleLog Merkle { get; }
}

/// <summary>A store whose Merkle log trails its appends, extended by a worker that may not be running.</summary>
public interface ITrailingVerifiableStore : IVerifiableStore
{
    /// <summary>Extends the log to the store's end now; the log's size.</summary>
    Task<long> CatchUpAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A Merkle tree kept beside another store's events (an EventStoreDB ledger's, whose node keeps events only), extended
/// behind the appends by a projection, in position order: leaf i is the event at position i + 1.
/// </summary>
public interface IProjectedMerkleTree : IVerifiableStore, IAsyncDisposable
{
    /// <summary>How many events the tree holds: those at positions 1 to this.</summary>
    Task<long> SizeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the tree by events read in position order, returning its new size. Events it holds already are skipped
    /// (a projection resumed after a crash sees some again); the others must follow its size without a gap.
    /// </summary>
    /// <exception cref="InvalidOperationException">The events leave a gap after the tree's last leaf.</exception>
    Task<long> ExtendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default);
}

/// <summary>An event no leaf covers; <paramref name="Forged"/> says why it is tampering, null when it waits for the tree.</summary>
public sealed record UncoveredEvent(StoredEvent Event, string? Forged);

/// <summary>Leaf <paramref name="Index"/> of the log: the hash the tree holds, and the event stored at its position now.</summary>
public sealed record MerkleLeaf(long Index, long Position, byte[] StoredHash, StoredEvent? Event);

/// <summary>A signed checkpoint as kept: the tree size and root it commits to, the whole signed note, and when it was signed.</summary>
public sealed record StoredCheckpoint(long TreeSize, byte[] RootHash, string Note, DateTimeOffset SignedAt)
{
    /// <summary>Whether both are the same checkpoint, root bytes included (the record's equality compares arrays by reference).</summary>
    public bool SameAs(StoredCheckpoint other) =>
        other is not null && TreeSize == other.TreeSize && RootHash.AsSpan().SequenceEqual(other.RootHash) && Note == other.Note && SignedAt == other.SignedAt;

    /// <summary>What every log does when offered a checkpoint of a size it keeps one of: the same is a no-op, another is refused.</summary>
    /// <exception cref="InvalidOperationException">The kept checkpoint differs from the offered one.</exception>
    public void MustBeKeptAs(StoredCheckpoint offered)
    {
        if (!SameAs(offered))
        {
            throw new InvalidOperationException($"a different checkpoint of tree size {offered.TreeSize} is kept; checkpoints are never changed");
        }
    }
}
