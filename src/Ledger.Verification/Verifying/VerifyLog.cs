using Ledger.Storage;

namespace Ledger.Verification;

/// <summary>
/// Online verification of a store's Merkle log: recomputes every leaf from the event stored for it now, names the events
/// that differ or are gone, recomputes the roots at every signed size, and checks each checkpoint's signature, root and
/// consistency with the one before it, both against the recomputed leaves and against the stored tree that proofs are
/// served from. A tree rewritten to match edited events is caught by the signed roots.
/// </summary>
public static class VerifyLog
{
    /// <summary>
    /// Verifies <paramref name="log"/> with the log's public key. Events no leaf covers come from the log itself
    /// (<see cref="IMerkleLog.ReadUncoveredAsync"/>); <paramref name="progress"/>: leaves read so far.
    /// </summary>
    public static async Task<VerificationReport> RunAsync(
        IMerkleLog log,
        NoteVerifier verifier,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(verifier);
        var tree = await log.OpenTreeAsync(cancellationToken).ConfigureAwait(false);
        var size = tree.Size;
        var checkpoints = (await log.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false)).OrderBy(c => c.TreeSize).ToList();
        var signedSizes = checkpoints.Select(c => c.TreeSize).ToHashSet();
        var recomputedRoots = new Dictionary<long, byte[]>();
        if (signedSizes.Contains(0))
        {
            recomputedRoots[0] = MerkleHashes.Empty();
        }

        var problems = new List<string>();
        var findings = new List<EventFinding>();
        var differing = new List<(MerkleLeaf Leaf, byte[] Recomputed)>();
        var positions = new List<long>();
        var recomputed = new MerkleFrontier();
        var storedLeaves = new MerkleFrontier();
        await foreach (var leaf in log.ReadLeavesAsync(0, cancellationToken).ConfigureAwait(false))
        {
            if (leaf.Index >= size)
            {
                break;
            }

            if (leaf.Index != positions.Count)
            {
                problems.Add($"the log listed leaf {leaf.Index} where leaf {positions.Count} was expected");
                break;
            }

            positions.Add(leaf.Position);
            var hash = Recompute(leaf, findings, differing);
            recomputed.Append(hash);
            storedLeaves.Append(leaf.StoredHash);
            if (signedSizes.Contains(recomputed.Size))
            {
                recomputedRoots[recomputed.Size] = recomputed.Root();
            }

            progress?.Report(recomputed.Size);
        }

        if (recomputed.Size != size)
        {
            problems.Add($"the tree holds {size} leaves but the log listed {recomputed.Size}");
        }

        findings.AddRange(NameDiffering(differing));
        var treeRoot = await MerkleProofs.RootAsync(tree, size, cancellationToken).ConfigureAwait(false);
        if (recomputed.Size == size && !storedLeaves.Root().AsSpan().SequenceEqual(treeRoot))
        {
            problems.Add($"the stored tree's root ({Convert.ToBase64String(treeRoot)}) is not the root of its own leaf hashes ({Convert.ToBase64String(storedLeaves.Root())}): its interior nodes were changed");
        }

        var checkpointFindings = await CheckCheckpointsAsync(tree, checkpoints, recomputedRoots, verifier, cancellationToken).ConfigureAwait(false);
        var notYetInTree = 0L;
        await foreach (var uncovered in log.ReadUncoveredAsync(cancellationToken).ConfigureAwait(false))
        {
            var e = uncovered.Event;
            if (uncovered.Forged is null)
            {
                notYetInTree++;
            }
            else
            {
                var inside = e.Position >= 1 && positions.Count > 0 && e.Position < positions[^1];
                findings.Add(Finding(inside ? FindingKinds.NotInTree : FindingKinds.Forged, null, e, $"{ProveInclusion.Describe(e)} {uncovered.Forged}"));
            }
        }

        var ordered = findings.OrderBy(f => f.LeafIndex ?? long.MaxValue).ThenBy(f => f.Position).ToList();
        var ok = ordered.Count == 0 && problems.Count == 0 && checkpointFindings.All(c => c.Ok);
        return new VerificationReport(ok, recomputed.Size, recomputed.Root(), ordered, checkpointFindings, problems, notYetInTree);
    }

    private static byte[] Recompute(MerkleLeaf leaf, List<EventFinding> findings, List<(MerkleLeaf, byte[])> differing)
    {
        if (leaf.Event is not { } e)
        {
            findings.Add(new EventFinding(FindingKinds.Missing, leaf.Index, null, leaf.Position, null, null, null, $"leaf {leaf.Index}: no event is stored at position {leaf.Position} any more"));

            // Nothing stored can give the committed hash: a placeholder makes every root over it differ from the signed one.
            return MerkleHashes.Leaf([]);
        }

        if (e.Unreadable is not null)
        {
            findings.Add(Finding(FindingKinds.Changed, leaf.Index, e, $"{ProveInclusion.Describe(e)}, leaf {leaf.Index}: {e.Unreadable}"));
            return MerkleHashes.Leaf([]);
        }

        byte[] hash;
        try
        {
            hash = CanonicalEvent.LeafHash(e);
        }
        catch (System.Text.Json.JsonException ex)
        {
            findings.Add(Finding(FindingKinds.Changed, leaf.Index, e, $"{ProveInclusion.Describe(e)}, leaf {leaf.Index}: its data is no longer valid JSON ({ex.Message})"));
            return MerkleHashes.Leaf([]);
        }

        if (e.Position != leaf.Position)
        {
            findings.Add(Finding(FindingKinds.Moved, leaf.Index, e, $"leaf {leaf.Index} is at position {leaf.Position}, but the log read {ProveInclusion.Describe(e)} for it"));
        }
        else if (!hash.AsSpan().SequenceEqual(leaf.StoredHash))
        {
            differing.Add((leaf, hash));
        }

        return hash;
    }

    /// <summary>An event whose hash is another differing leaf's committed hash was moved there; the others were changed.</summary>
    private static IEnumerable<EventFinding> NameDiffering(List<(MerkleLeaf Leaf, byte[] Recomputed)> differing)
    {
        var committed = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (leaf, _) in differing)
        {
            committed.TryAdd(Convert.ToBase64String(leaf.StoredHash), leaf.Index);
        }

        foreach (var (leaf, hash) in differing)
        {
            var e = leaf.Event!;
            yield return committed.TryGetValue(Convert.ToBase64String(hash), out var other)
                ? Finding(FindingKinds.Moved, leaf.Index, e, $"{ProveInclusion.Describe(e)}, leaf {leaf.Index}: holds the event that leaf {other} committed to: events were reordered")
                : Finding(FindingKinds.Changed, leaf.Index, e, $"{ProveInclusion.Describe(e)}, leaf {leaf.Index}: its content no longer gives the leaf hash the tree holds");
        }
    }

    private static EventFinding Finding(string kind, long? leafIndex, StoredEvent e, string message) =>
        new(kind, leafIndex, null, e.Position, e.StatementId, e.Stream, e.Version, message);

    private static async Task<List<CheckpointFinding>> CheckCheckpointsAsync(
        IMerkleNodeSource tree, List<StoredCheckpoint> checkpoints, Dictionary<long, byte[]> recomputedRoots, NoteVerifier verifier, CancellationToken cancellationToken)
    {
        var result = new List<CheckpointFinding>();
        (long Size, byte[] Root)? previous = null;
        foreach (var stored in checkpoints)
        {
            var problems = new List<string>();
            var signedRoot = stored.RootHash;
            try
            {
                var opened = Checkpoint.Open(stored.Note, verifier.Name, [verifier]);
                if (opened.Size != stored.TreeSize || !opened.RootHash.Span.SequenceEqual(stored.RootHash))
                {
                    problems.Add($"the note signs size {opened.Size} and root {Convert.ToBase64String(opened.RootHash.Span)}, but it is kept as size {stored.TreeSize} and root {Convert.ToBase64String(stored.RootHash)}");
                }

                signedRoot = opened.RootHash.ToArray();
            }
            catch (NoteVerificationException ex)
            {
                problems.Add($"signature: {ex.Message}");
            }

            var size = stored.TreeSize;
            if (size > tree.Size)
            {
                problems.Add($"the tree holds only {tree.Size} leaves: leaves it signed were removed");
            }
            else
            {
                if (recomputedRoots.TryGetValue(size, out var fromEvents) && !fromEvents.AsSpan().SequenceEqual(signedRoot))
                {
                    problems.Add($"the events stored now give root {Convert.ToBase64String(fromEvents)} at size {size}, not the signed {Convert.ToBase64String(signedRoot)}");
                }

                var fromTree = await MerkleProofs.RootAsync(tree, size, cancellationToken).ConfigureAwait(false);
                if (!fromTree.AsSpan().SequenceEqual(signedRoot))
                {
                    problems.Add($"the stored tree's root at size {size} is {Convert.ToBase64String(fromTree)}, not the signed {Convert.ToBase64String(signedRoot)}");
                }

                if (previous is { Size: > 0 } before && before.Size < size)
                {
                    var proof = await MerkleProofs.ConsistencyAsync(tree, before.Size, size, cancellationToken).ConfigureAwait(false);
                    if (!MerkleVerifier.VerifyConsistency(before.Size, size, before.Root, signedRoot, proof))
                    {
                        problems.Add($"not consistent with the checkpoint of size {before.Size}: the stored tree's consistency proof does not verify against the two signed roots");
                    }
                }

                previous = (size, signedRoot);
            }

            result.Add(new CheckpointFinding($"checkpoint of size {size} signed {stored.SignedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}", size, signedRoot, problems.Count == 0, problems));
        }

        return result;
    }
}
