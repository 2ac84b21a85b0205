namespace Ledger.Verification;

/// <summary>What signing did: the checkpoint that is now the latest, and whether it was signed just now.</summary>
public sealed record SignCheckpointResult(StoredCheckpoint Checkpoint, bool Signed);

/// <summary>
/// Signs a checkpoint of the tree as it is now, unless it has not grown since the latest one. A checkpoint is a public
/// promise that every later one extends it, so the new tree is first checked against the latest signed one: its root at
/// the old size, and a consistency proof from the old size verified against the stored old root. Any mismatch refuses.
/// </summary>
public static class SignCheckpoint
{
    /// <exception cref="LogIntegrityException">The tree shrank, no longer extends the latest signed checkpoint, or the store holds a forged event.</exception>
    public static Task<SignCheckpointResult> RunAsync(IMerkleLog log, NoteSigner signer, TimeProvider clock, CancellationToken cancellationToken = default) =>
        RunAsync(log, signer, clock, null, cancellationToken);

    /// <summary>Signs as above; a new checkpoint is first sent to the witnesses, and kept with the cosignatures they return.</summary>
    /// <exception cref="LogIntegrityException">The tree shrank, no longer extends the latest signed checkpoint, or the store holds a forged event.</exception>
    public static async Task<SignCheckpointResult> RunAsync(IMerkleLog log, NoteSigner signer, TimeProvider clock, ICheckpointCosigning? cosigning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(clock);
        var tree = await log.OpenTreeAsync(cancellationToken).ConfigureAwait(false);
        var latest = await log.LatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var size = tree.Size;
        if (latest is not null && size < latest.TreeSize)
        {
            throw new LogIntegrityException($"the tree holds {size} leaves, fewer than the {latest.TreeSize} of the latest signed checkpoint: refusing to sign");
        }

        await foreach (var uncovered in log.ReadUncoveredAsync(cancellationToken).ConfigureAwait(false))
        {
            if (uncovered.Forged is not null)
            {
                throw new LogIntegrityException($"{ProveInclusion.Describe(uncovered.Event)} {uncovered.Forged}; refusing to sign (run ledger verify)");
            }
        }

        var root = await MerkleProofs.RootAsync(tree, size, cancellationToken).ConfigureAwait(false);
        if (latest is not null)
        {
            await CheckExtendsAsync(tree, latest, size, root, cancellationToken).ConfigureAwait(false);
            if (size == latest.TreeSize)
            {
                return new SignCheckpointResult(latest, Signed: false);
            }
        }

        var checkpoint = new Checkpoint(signer.Name, size, root);
        var note = checkpoint.Sign(signer);
        if (cosigning is not null)
        {
            note = await cosigning.CosignAsync(note, checkpoint, tree, latest, cancellationToken).ConfigureAwait(false);
        }

        var stored = new StoredCheckpoint(size, root, note, clock.GetUtcNow());
        try
        {
            await log.AddCheckpointAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Another signer (a server beside a CLI import) kept this size first: the same root is the same promise.
            var kept = (await log.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.TreeSize == size);
            return kept is not null && kept.RootHash.AsSpan().SequenceEqual(root)
                ? new SignCheckpointResult(kept, Signed: false)
                : throw new LogIntegrityException($"a checkpoint of tree size {size} with another root is already signed: the log forked; run ledger verify");
        }

        return new SignCheckpointResult(stored, Signed: true);
    }

    private static async Task CheckExtendsAsync(IMerkleNodeSource tree, StoredCheckpoint latest, long size, byte[] root, CancellationToken cancellationToken)
    {
        var oldSize = latest.TreeSize;
        var oldRoot = await MerkleProofs.RootAsync(tree, oldSize, cancellationToken).ConfigureAwait(false);
        if (!oldRoot.AsSpan().SequenceEqual(latest.RootHash))
        {
            throw new LogIntegrityException(
                $"the tree's root at size {oldSize} is {Convert.ToBase64String(oldRoot)}, not the signed {Convert.ToBase64String(latest.RootHash)}: " +
                $"the tree of {size} leaves does not extend the checkpoint of size {oldSize}; refusing to sign (run ledger verify)");
        }

        // An empty old tree is extended by every tree; a proof from it proves nothing.
        if (oldSize == 0 || oldSize == size)
        {
            return;
        }

        var proof = await MerkleProofs.ConsistencyAsync(tree, oldSize, size, cancellationToken).ConfigureAwait(false);
        if (!MerkleVerifier.VerifyConsistency(oldSize, size, latest.RootHash, root, proof))
        {
            throw new LogIntegrityException(
                $"the consistency proof from size {oldSize} to size {size} does not verify against the signed root of size {oldSize}; refusing to sign (run ledger verify)");
        }
    }
}
