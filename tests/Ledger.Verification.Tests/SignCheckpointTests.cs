namespace Ledger.Verification.Tests;

public sealed class SignCheckpointTests
{
    [Fact]
    public async Task Signs_the_tree_and_signs_again_only_when_it_grew()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        var log = MemoryMerkleLog.From(LogFixtures.Events(5));

        var first = await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);
        var unchanged = await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);
        log.Append(LogFixtures.Event(6));
        var grown = await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);

        Assert.True(first.Signed);
        Assert.False(unchanged.Signed);
        Assert.Same(first.Checkpoint, unchanged.Checkpoint);
        Assert.True(grown.Signed);
        Assert.Equal([5L, 6L], (await log.ListCheckpointsAsync()).Select(c => c.TreeSize));
        var opened = Checkpoint.Open(grown.Checkpoint.Note, LogFixtures.Origin, [signer.Verifier]);
        Assert.Equal(6, opened.Size);
        Assert.Equal(await MerkleProofs.RootAsync(await log.OpenTreeAsync(), 6), opened.RootHash.ToArray());
        Assert.Equal(LogFixtures.Start.AddDays(1), grown.Checkpoint.SignedAt);
    }

    [Fact]
    public async Task Refuses_to_sign_a_tree_that_does_not_extend_the_latest_checkpoint()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        var log = MemoryMerkleLog.From(LogFixtures.Events(5));
        await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);

        // A quote edited in place, the tree recomputed over it, and a new event on top.
        log.TamperEvent(2, LogFixtures.Event(3, quote: "We never said that."));
        log.TamperRewriteTree();
        log.Append(LogFixtures.Event(6));

        var refused = await Assert.ThrowsAsync<LogIntegrityException>(() => SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock));
        Assert.Contains("size 5", refused.Message, StringComparison.Ordinal);
        Assert.Contains("6 leaves", refused.Message, StringComparison.Ordinal);
        Assert.Equal([5L], (await log.ListCheckpointsAsync()).Select(c => c.TreeSize));
    }

    [Fact]
    public async Task Refuses_even_when_the_tree_did_not_grow_but_its_root_changed()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        var log = MemoryMerkleLog.From(LogFixtures.Events(4));
        await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);
        log.TamperEvent(0, null);
        log.TamperRewriteTree();

        await Assert.ThrowsAsync<LogIntegrityException>(() => SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock));
    }

    [Fact]
    public async Task A_signer_that_loses_the_race_for_a_size_takes_the_kept_checkpoint_of_the_same_root_and_refuses_another_root()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        using var other = NoteSigner.Generate(LogFixtures.Origin);
        var events = LogFixtures.Events(5).ToList();
        var sameRoot = MemoryMerkleLog.From(events);
        var root = await MerkleProofs.RootAsync(await sameRoot.OpenTreeAsync(), 5);
        var kept = new StoredCheckpoint(5, root, new Checkpoint(LogFixtures.Origin, 5, root).Sign(other), LogFixtures.Start);
        var forkedRoot = new byte[MerkleHashes.Size];

        var lost = await SignCheckpoint.RunAsync(new RacingLog(sameRoot, kept), signer, LogFixtures.Clock);
        var forked = await Assert.ThrowsAsync<LogIntegrityException>(() => SignCheckpoint.RunAsync(
            new RacingLog(MemoryMerkleLog.From(events), kept with { RootHash = forkedRoot }), signer, LogFixtures.Clock));

        Assert.False(lost.Signed);
        Assert.Equal(kept.Note, lost.Checkpoint.Note);
        Assert.Contains("tree size 5 with another root", forked.Message, StringComparison.Ordinal);
    }

    /// <summary>A log where another signer keeps a checkpoint between this signer's read and its write.</summary>
    private sealed class RacingLog(MemoryMerkleLog inner, StoredCheckpoint sneaked) : IMerkleLog
    {
        public Task<IMerkleNodeSource> OpenTreeAsync(CancellationToken cancellationToken = default) => inner.OpenTreeAsync(cancellationToken);

        public Task<long?> LeafIndexAsync(long position, CancellationToken cancellationToken = default) => inner.LeafIndexAsync(position, cancellationToken);

        public IAsyncEnumerable<MerkleLeaf> ReadLeavesAsync(long fromIndex = 0, CancellationToken cancellationToken = default) => inner.ReadLeavesAsync(fromIndex, cancellationToken);

        public IAsyncEnumerable<UncoveredEvent> ReadUncoveredAsync(CancellationToken cancellationToken = default) => inner.ReadUncoveredAsync(cancellationToken);

        public Task<IReadOnlyList<StoredCheckpoint>> ReadCheckpointsAsync(bool latestOnly, CancellationToken cancellationToken = default) => inner.ReadCheckpointsAsync(latestOnly, cancellationToken);

        public async Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
        {
            await inner.AddCheckpointAsync(sneaked, cancellationToken);
            await inner.AddCheckpointAsync(checkpoint, cancellationToken);
        }
    }
}
