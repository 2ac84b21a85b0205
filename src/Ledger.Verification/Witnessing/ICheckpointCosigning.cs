namespace Ledger.Verification;

/// <summary>Gathers witnesses' cosignatures on a checkpoint the log has just signed, before it is kept.</summary>
public interface ICheckpointCosigning
{
    /// <summary>
    /// The note with the cosignatures gathered added (the note unchanged when none came). <paramref name="tree"/> gives
    /// the consistency proofs from the sizes the witnesses last cosigned; <paramref name="latest"/> is the checkpoint
    /// kept before this one.
    /// </summary>
    Task<string> CosignAsync(string note, Checkpoint checkpoint, IMerkleNodeSource tree, StoredCheckpoint? latest, CancellationToken cancellationToken = default);
}

/// <summary>Picks, among kept checkpoints, the ones a witness policy accepts.</summary>
public static class WitnessedCheckpoints
{
    /// <summary>The checkpoint of the largest tree that a quorum cosigned (with no quorum asked, the latest); null when none was.</summary>
    public static async Task<StoredCheckpoint?> LatestWitnessedAsync(this IMerkleLog log, WitnessPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(policy);
        var latest = await log.LatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (latest is null || policy.IsWitnessed(latest.Note))
        {
            return latest;
        }

        var all = await log.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        return all.Reverse().FirstOrDefault(c => policy.IsWitnessed(c.Note));
    }
}
