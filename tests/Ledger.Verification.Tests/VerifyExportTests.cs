namespace Ledger.Verification.Tests;

public sealed class VerifyExportTests : IDisposable
{
    private readonly NoteSigner signer = NoteSigner.Generate(LogFixtures.Origin);
    private readonly List<string> lines;
    private readonly List<CheckpointNote> notes;

    public VerifyExportTests()
    {
        var events = LogFixtures.Events(10);
        var log = MemoryMerkleLog.From(events.Take(6));
        var old = SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock).GetAwaiter().GetResult().Checkpoint;
        foreach (var e in events.Skip(6))
        {
            log.Append(e);
        }

        var newer = SignCheckpoint.RunAsync(log, signer, LogFixtures.Clock).GetAwaiter().GetResult().Checkpoint;
        lines = events.Select(e => LogFixtures.Line(e)).ToList();
        notes = [new CheckpointNote("old.note", old.Note), new CheckpointNote("new.note", newer.Note)];
    }

    public void Dispose() => signer.Dispose();

    [Fact]
    public async Task The_export_of_the_larger_log_matches_both_checkpoints()
    {
        var report = await VerifyAsync(lines);

        Assert.True(report.Ok, string.Join("; ", report.Checkpoints.SelectMany(c => c.Problems)));
        Assert.Equal(10, report.Leaves);
        Assert.Equal([("old.note", 6L), ("new.note", 10L)], report.Checkpoints.Select(c => (c.Name, c.TreeSize!.Value)));
        Assert.Equal(0, report.NotYetInTree);
    }

    [Fact]
    public async Task An_export_without_leaf_hashes_still_verifies_against_the_checkpoints()
    {
        var report = await VerifyAsync(LogFixtures.Events(10).Select(e => LogFixtures.Line(e, withLeafHash: false)));

        Assert.True(report.Ok);
    }

    [Fact]
    public async Task One_byte_changed_in_a_quote_names_the_event_and_fails_the_checkpoints_covering_it()
    {
        var tampered = lines.ToList();
        tampered[7] = tampered[7].Replace("number 8", "number 9", StringComparison.Ordinal);

        var report = await VerifyAsync(tampered);

        Assert.False(report.Ok);
        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.Changed, 8L, "s-8", 80L), (finding.Kind, finding.Line!.Value, finding.StatementId!, finding.Position));
        Assert.True(report.Checkpoints[0].Ok);
        Assert.False(report.Checkpoints[1].Ok);
    }

    [Fact]
    public async Task A_removed_line_fails_the_checkpoints()
    {
        var tampered = lines.ToList();
        tampered.RemoveAt(3);

        var report = await VerifyAsync(tampered);

        Assert.False(report.Ok);
        Assert.All(report.Checkpoints, c => Assert.False(c.Ok));
        Assert.Contains(report.Checkpoints[1].Problems, p => p.Contains("export holds 9 events", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_swapped_lines_are_named_and_fail_the_checkpoints()
    {
        var tampered = lines.ToList();
        (tampered[1], tampered[2]) = (tampered[2], tampered[1]);

        var report = await VerifyAsync(tampered);

        Assert.False(report.Ok);
        var finding = Assert.Single(report.Events);
        Assert.Equal((FindingKinds.OutOfOrder, 3L, "s-2"), (finding.Kind, finding.Line!.Value, finding.StatementId!));
        Assert.All(report.Checkpoints, c => Assert.False(c.Ok));
    }

    [Fact]
    public async Task A_checkpoint_with_a_bad_signature_is_named()
    {
        using var other = NoteSigner.Generate(LogFixtures.Origin);
        var forged = new CheckpointNote("forged.note", new Checkpoint(LogFixtures.Origin, 10, MerkleHashes.Leaf("x"u8)).Sign(other));

        var report = await VerifyExport.RunAsync(LogFixtures.Parse(lines), [notes[0], forged], signer.Verifier);

        Assert.False(report.Ok);
        Assert.True(report.Checkpoints[0].Ok);
        Assert.Equal("forged.note", report.Checkpoints[1].Name);
        Assert.StartsWith("signature:", Assert.Single(report.Checkpoints[1].Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_that_forks_from_an_older_one_is_reported_inconsistent()
    {
        // A second history, signed by the same key at size 10, sharing nothing with the first.
        var other = MemoryMerkleLog.From(Enumerable.Range(100, 10).Select(i => LogFixtures.Event(i)));
        var fork = (await SignCheckpoint.RunAsync(other, signer, LogFixtures.Clock)).Checkpoint;

        var report = await VerifyExport.RunAsync(LogFixtures.Parse(lines), [notes[0], new CheckpointNote("fork.note", fork.Note)], signer.Verifier);

        Assert.False(report.Ok);
        Assert.Contains(report.Checkpoints[1].Problems, p => p.Contains("not consistent with old.note", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_line_names_its_line_and_field()
    {
        var bad = lines[0].Replace("\"version\":1", "\"version\":\"one\"", StringComparison.Ordinal);

        var error = Assert.Throws<FormatException>(() => ExportedEvent.Parse(bad, 1));
        Assert.StartsWith("line 1: field \"version\"", error.Message, StringComparison.Ordinal);
    }

    private Task<VerificationReport> VerifyAsync(IEnumerable<string> export) =>
        VerifyExport.RunAsync(LogFixtures.Parse(export), notes, signer.Verifier);
}
