namespace Ledger.Verification.Tests;

public sealed class MemoryMerkleLogTests
{
    [Fact]
    public async Task Leaves_are_the_events_in_order_and_the_root_is_the_reference_tree_hash()
    {
        var events = LogFixtures.Events(7);
        var log = MemoryMerkleLog.From(events);
        var tree = await log.OpenTreeAsync();

        Assert.Equal(7, tree.Size);
        Assert.Equal(MerkleHashes.Root(events.Select(CanonicalEvent.LeafHash).ToList()), await MerkleProofs.RootAsync(tree, 7));
        Assert.Equal(3, await log.LeafIndexAsync(40));
        Assert.Null(await log.LeafIndexAsync(41));
        var leaves = await log.ReadLeavesAsync(5).ToListAsync();
        Assert.Equal([5L, 6L], leaves.Select(l => l.Index));
        Assert.Equal(events[5], leaves[0].Event);
        Assert.Equal(CanonicalEvent.LeafHash(events[6]), leaves[1].StoredHash);
    }

    [Fact]
    public async Task An_opened_tree_stays_at_its_size_while_the_log_grows()
    {
        var log = MemoryMerkleLog.From(LogFixtures.Events(3));
        var tree = await log.OpenTreeAsync();
        var root = await MerkleProofs.RootAsync(tree, 3);
        log.Append(LogFixtures.Event(4));

        Assert.Equal(3, tree.Size);
        Assert.Equal(root, await MerkleProofs.RootAsync(tree, 3));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await tree.GetNodesAsync([new MerkleNodeId(2, 0)]));
        Assert.Equal(4, (await log.OpenTreeAsync()).Size);
    }

    [Fact]
    public void Leaves_follow_the_global_order() =>
        Assert.Throws<ArgumentException>(() => MemoryMerkleLog.From([LogFixtures.Event(2), LogFixtures.Event(1)]));

    [Fact]
    public async Task A_different_checkpoint_of_a_kept_size_is_refused_and_an_identical_one_is_not()
    {
        var log = new MemoryMerkleLog();
        var kept = new StoredCheckpoint(1, MerkleHashes.Leaf("a"u8), "note a\n", LogFixtures.Start);
        await log.AddCheckpointAsync(kept);
        await log.AddCheckpointAsync(kept with { RootHash = kept.RootHash.ToArray() });

        await Assert.ThrowsAsync<InvalidOperationException>(() => log.AddCheckpointAsync(kept with { Note = "note b\n" }));
        Assert.Single(await log.ListCheckpointsAsync());
    }
}
