namespace Ledger.Verification;

/// <summary>A signed checkpoint note and where it came from (a file name), for reports.</summary>
public sealed record CheckpointNote(string Name, string Note);

/// <summary>
/// Offline verification of an export against signed checkpoints, with no database: rebuilds the tree from the export's
/// events (line i is leaf i − 1), checks that its first <c>size</c> leaves give each checkpoint's signed root and that
/// the checkpoints are consistent with each other, and names every line whose content no longer gives the leaf hash the
/// log recorded for it. A removed, added or reordered line changes the roots, so the checkpoints catch it.
/// </summary>
public static class VerifyExport
{
    /// <exception cref="FormatException">A line is not an export line (the message names it).</exception>
    public static async Task<VerificationReport> RunAsync(
        IAsyncEnumerable<ExportedEvent> lines,
        IReadOnlyList<CheckpointNote> notes,
        NoteVerifier verifier,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(notes);
        ArgumentNullException.ThrowIfNull(verifier);
        var tree = new MemoryMerkleNodes();
        var findings = new List<EventFinding>();
        long? previousPosition = null;
        await foreach (var line in lines.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var e = line.Event;
            var index = tree.Size;
            byte[] hash;
            try
            {
                hash = CanonicalEvent.LeafHash(e);
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new FormatException($"line {line.Line}: field \"data\" is not I-JSON ({ex.Message})", ex);
            }

            if (line.LeafHash is { } recorded && !recorded.AsSpan().SequenceEqual(hash))
            {
                findings.Add(Finding(FindingKinds.Changed, index, line, $"line {line.Line}, {ProveInclusion.Describe(e)}: its content no longer gives the leaf hash the log recorded for it"));
            }

            if (previousPosition is { } before && e.Position <= before)
            {
                findings.Add(Finding(FindingKinds.OutOfOrder, index, line, $"line {line.Line}, {ProveInclusion.Describe(e)}: position {e.Position} does not follow position {before} of the line before: lines were reordered"));
            }

            previousPosition = e.Position;
            tree.Append(hash);
            progress?.Report(tree.Size);
        }

        var opened = new List<(CheckpointNote Note, Checkpoint Checkpoint)>();
        var results = new Dictionary<CheckpointNote, (Checkpoint? Checkpoint, List<string> Problems)>();
        foreach (var note in notes)
        {
            try
            {
                var checkpoint = Checkpoint.Open(note.Note, verifier.Name, [verifier]);
                opened.Add((note, checkpoint));
                results[note] = (checkpoint, []);
            }
            catch (NoteVerificationException ex)
            {
                results[note] = (null, [$"signature: {ex.Message}"]);
            }
        }

        opened.Sort((a, b) => a.Checkpoint.Size.CompareTo(b.Checkpoint.Size));
        (CheckpointNote Note, Checkpoint Checkpoint)? previous = null;
        foreach (var (note, checkpoint) in opened)
        {
            var problems = results[note].Problems;
            var size = checkpoint.Size;
            if (size > tree.Size)
            {
                problems.Add($"signs a tree of {size} leaves, but the export holds {tree.Size} events: events were removed");
                continue;
            }

            var root = await MerkleProofs.RootAsync(tree, size, cancellationToken).ConfigureAwait(false);
            if (!checkpoint.RootHash.Span.SequenceEqual(root))
            {
                problems.Add($"the export's first {size} events give root {Convert.ToBase64String(root)}, not the signed {Convert.ToBase64String(checkpoint.RootHash.Span)}");
            }

            if (previous is { } before)
            {
                var proof = await MerkleProofs.ConsistencyAsync(tree, before.Checkpoint.Size, size, cancellationToken).ConfigureAwait(false);
                var consistent = before.Checkpoint.Size == 0
                    ? before.Checkpoint.RootHash.Span.SequenceEqual(MerkleHashes.Empty())
                    : MerkleVerifier.VerifyConsistency(before.Checkpoint.Size, size, before.Checkpoint.RootHash.Span, checkpoint.RootHash.Span, proof);
                if (!consistent)
                {
                    problems.Add($"not consistent with {before.Note.Name} (size {before.Checkpoint.Size}): the export's consistency proof does not verify against the two signed roots");
                }
            }

            previous = (note, checkpoint);
        }

        var checkpointFindings = notes
            .Select(n => results[n])
            .Zip(notes, (r, n) => new CheckpointFinding(n.Name, r.Checkpoint?.Size, r.Checkpoint?.RootHash.ToArray(), r.Problems.Count == 0, r.Problems))
            .ToList();
        var problemsOverall = new List<string>();
        if (notes.Count == 0)
        {
            problemsOverall.Add("no checkpoint to verify against: give at least one --checkpoint");
        }

        var ok = findings.Count == 0 && problemsOverall.Count == 0 && checkpointFindings.All(c => c.Ok);
        var covered = opened.Count == 0 ? 0 : Math.Min(opened[^1].Checkpoint.Size, tree.Size);
        return new VerificationReport(ok, tree.Size, tree.Root(), findings, checkpointFindings, problemsOverall, tree.Size - covered);
    }

    private static EventFinding Finding(string kind, long leafIndex, ExportedEvent line, string message) =>
        new(kind, leafIndex, line.Line, line.Event.Position, line.Event.StatementId, line.Event.Stream, line.Event.Version, message);
}
