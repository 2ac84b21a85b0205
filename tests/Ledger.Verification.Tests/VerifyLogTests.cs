using Ledger.Storage;

namespace Ledger.Verification.Tests;

public sealed class VerifyLogTests : IDisposable
{
    private readonly NoteSigner signer = NoteSigner.Generate(LogFixtures.Origin);
    private readonly List<StoredEvent> events = LogFixtures.Events(12);
    private readonly MemoryMerkleLog log;

    public VerifyLogTests() => log = MemoryMerkleLog.From(events.Take(8));

    public void Dispose() => signer.Dispose();

    [Fact]
    public async Task An_untouched_log_with_two_checkpoints_verifies()
    {
        await SignTwiceAsync();

        var report = await VerifyAsync();

        Assert.True(report.Ok, Describe(report));
        Assert.Equal(12, report.Leaves);
        Assert.Equal(MerkleHashes.Root(events.Select(CanonicalEvent.LeafHash).ToList()), report.Root);
        Assert.Equal([8L, 12L], report.Checkpoints.Select(c => c.TreeSize));
        Assert.All(report.Checkpoints, c => Assert.True(c.Ok));
    }

    [Fact]
    public async Task A_modified_event_is_named_with_its_statement_matter_version_position_and_leaf()
    {
        await SignTwiceAsync();
        log.TamperEvent(5, LogFixtures.Event(6, quote: "We said something else."));

        var report = await VerifyAsync();

        Assert.False(report.Ok);
        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.Changed, 5L, 60L, "s-6", "acme/even", 3L), (finding.Kind, finding.LeafIndex!.Value, finding.Position, finding.StatementId, finding.Matter, finding.Version!.Value));
        Assert.All(report.Checkpoints, c => Assert.False(c.Ok));
    }

    [Fact]
    public async Task A_removed_event_is_named_by_its_leaf_and_position()
    {
        await SignTwiceAsync();
        log.TamperEvent(9, null);

        var report = await VerifyAsync();

        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.Missing, 9L, 100L), (finding.Kind, finding.LeafIndex!.Value, finding.Position));
        Assert.True(report.Checkpoints[0].Ok);
        Assert.False(report.Checkpoints[1].Ok);
    }

    [Fact]
    public async Task Two_swapped_events_are_both_named_as_moved()
    {
        await SignTwiceAsync();
        log.TamperEvent(2, events[3] with { Position = events[2].Position });
        log.TamperEvent(3, events[2] with { Position = events[3].Position });

        var report = await VerifyAsync();

        Assert.Equal([(FindingKinds.Moved, "s-4"), (FindingKinds.Moved, "s-3")], report.Events.Select(f => (f.Kind, f.StatementId!)));
        Assert.False(report.Ok);
    }

    [Fact]
    public async Task A_rewritten_tree_fails_its_checkpoints_though_every_leaf_hash_matches()
    {
        await SignTwiceAsync();
        log.TamperEvent(1, LogFixtures.Event(2, quote: "Rewritten."));
        log.TamperRewriteTree();

        var report = await VerifyAsync();

        Assert.Empty(report.Events);
        Assert.False(report.Ok);
        Assert.All(report.Checkpoints, c => Assert.Contains(c.Problems, p => p.Contains("not the signed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_event_inserted_inside_the_tree_is_named_and_events_after_it_are_only_counted()
    {
        await SignTwiceAsync();
        log.TamperStoreWithoutLeaf(LogFixtures.Event(4) with { Position = 45, StatementId = "inserted" });
        log.TamperStoreWithoutLeaf(LogFixtures.Event(13));

        var report = await VerifyAsync();

        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.NotInTree, "inserted", 45L), (finding.Kind, finding.StatementId!, finding.Position));
        Assert.Equal(1, report.NotYetInTree);
        Assert.False(report.Ok);
    }

    [Fact]
    public async Task Events_not_yet_in_the_tree_alone_are_no_failure()
    {
        await SignTwiceAsync();
        log.TamperStoreWithoutLeaf(LogFixtures.Event(13));

        var report = await VerifyAsync();

        Assert.True(report.Ok, Describe(report));
        Assert.Equal(1, report.NotYetInTree);
    }

    [Fact]
    public async Task Checkpoints_signed_by_another_key_fail_their_signature()
    {
        await SignTwiceAsync();
        using var other = NoteSigner.Generate(LogFixtures.Origin);

        var report = await VerifyLog.RunAsync(log, other.Verifier);

        Assert.False(report.Ok);
        Assert.All(report.Checkpoints, c => Assert.Contains(c.Problems, p => p.StartsWith("signature:", StringComparison.Ordinal)));
    }

    private async Task SignTwiceAsync()
    {
        await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);
        foreach (var e in events.Skip(8))
        {
            log.Append(e);
        }

        await SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock);
    }

    private Task<VerificationReport> VerifyAsync() => VerifyLog.RunAsync(log, signer.Verifier);

    private static string Describe(VerificationReport report) =>
        string.Join("; ", report.Events.Select(e => e.Message).Concat(report.Problems).Concat(report.Checkpoints.SelectMany(c => c.Problems)));
}
