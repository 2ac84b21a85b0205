namespace Ledger.Verification.Tests;

public sealed class ProveTests
{
    [Fact]
    public async Task An_inclusion_proof_defaults_to_the_latest_checkpoint_and_verifies_against_its_signed_root()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        var events = LogFixtures.Events(9);
        var log = MemoryMerkleLog.From(events.Take(7));
        var signed = (await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock)).Checkpoint;
        log.Append(events[7]);
        log.Append(events[8]);

        var proof = await ProveInclusion.RunAsync(log, events[4], size: null);

        Assert.Equal(4, proof.LeafIndex);
        Assert.Equal(7, proof.TreeSize);
        Assert.Same(signed, proof.Checkpoint);
        var opened = Checkpoint.Open(proof.Checkpoint!.Note, LogFixtures.Origin, [signer.Verifier]);
        Assert.True(MerkleVerifier.VerifyInclusion(4, 7, CanonicalEvent.LeafHash(events[4]), proof.Path, opened.RootHash.Span));
        Assert.False(MerkleVerifier.VerifyInclusion(4, 7, CanonicalEvent.LeafHash(events[5]), proof.Path, opened.RootHash.Span));
    }

    [Fact]
    public async Task An_event_after_the_latest_checkpoint_is_proved_in_the_tree_as_it_is_now()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        var events = LogFixtures.Events(9);
        var log = MemoryMerkleLog.From(events.Take(7));
        await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);
        log.Append(events[7]);
        log.Append(events[8]);

        var proof = await ProveInclusion.RunAsync(log, events[8], size: null);

        Assert.Equal(9, proof.TreeSize);
        Assert.Null(proof.Checkpoint);
        Assert.True(MerkleVerifier.VerifyInclusion(8, 9, proof.LeafHash, proof.Path, proof.RootHash));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(10)]
    public async Task A_size_that_does_not_cover_the_event_or_exceeds_the_tree_is_refused(long size)
    {
        var events = LogFixtures.Events(9);
        var log = MemoryMerkleLog.From(events);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ProveInclusion.RunAsync(log, events[4], size));
        Assert.Contains($"tree size {size}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_whose_content_changed_is_not_proved()
    {
        var events = LogFixtures.Events(5);
        var log = MemoryMerkleLog.From(events);
        var edited = LogFixtures.Event(3, quote: "edited");
        log.TamperEvent(2, edited);

        var refused = await Assert.ThrowsAsync<LogIntegrityException>(() => ProveInclusion.RunAsync(log, edited, null));
        Assert.Contains("s-3", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_consistency_proof_verifies_between_two_signed_checkpoints()
    {
        using var signer = NoteSigner.Generate(LogFixtures.Origin);
        var events = LogFixtures.Events(11);
        var log = MemoryMerkleLog.From(events.Take(6));
        var old = (await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock)).Checkpoint;
        foreach (var e in events.Skip(6))
        {
            log.Append(e);
        }

        var newer = (await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock)).Checkpoint;
        var proof = await ProveConsistency.RunAsync(log, 6, 11);

        Assert.Same(old, proof.OldCheckpoint);
        Assert.Same(newer, proof.NewCheckpoint);
        Assert.True(MerkleVerifier.VerifyConsistency(6, 11, old.RootHash, newer.RootHash, proof.Path));
        Assert.False(MerkleVerifier.VerifyConsistency(6, 11, newer.RootHash, old.RootHash, proof.Path));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(6, 5)]
    [InlineData(3, 12)]
    public async Task Consistency_sizes_outside_the_tree_are_refused(long oldSize, long newSize)
    {
        var log = MemoryMerkleLog.From(LogFixtures.Events(11));

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ProveConsistency.RunAsync(log, oldSize, newSize));
        Assert.Contains("1 <= old size <= new size <= 11", refused.Message, StringComparison.Ordinal);
    }
}
