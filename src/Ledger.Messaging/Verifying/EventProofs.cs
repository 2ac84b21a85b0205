using System.Collections.Concurrent;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Verifying;

/// <summary>
/// Inclusion proofs attached to what the ledger sends out (live streams, webhooks, feeds), so a receiver can check
/// each event against a signed checkpoint. One tree view serves every event it holds; a thousand live clients of one
/// event cost one proof. A backend without a Merkle log, or an event the tree does not hold yet, gets no proof; nor
/// does one whose proof fails (logged), since the event itself must still reach every watchdog. With witnesses
/// configured, an event that the latest witnessed checkpoint (when the tree view was opened) covers is proven in that
/// checkpoint's tree, so that the receiver can check it against the cosigned note; a newer one in the tree as it is.
/// </summary>
public sealed class EventProofs(IEventStore store, WitnessPolicy policy, ILogger<EventProofs> logger) : IDisposable
{
    private const int Remembered = 4096;
    private readonly IMerkleLog? log = (store as IVerifiableStore)?.Merkle;
    private readonly SemaphoreSlim reopening = new(1, 1);
    private volatile View? view;

    public bool Enabled => log is not null;

    public async Task<InclusionProof?> ForAsync(StoredEvent e, CancellationToken cancellationToken = default)
    {
        if (log is null)
        {
            return null;
        }

        try
        {
            return await ProveAsync(log, e, cancellationToken);
        }
        catch (LogIntegrityException ex)
        {
            logger.LogCritical("event {Position} goes out without an inclusion proof: {Message}", e.Position, ex.Message);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("event {Position} goes out without an inclusion proof: the log could not be read ({Message})", e.Position, ex.Message);
            return null;
        }
    }

    private async Task<InclusionProof?> ProveAsync(IMerkleLog log, StoredEvent e, CancellationToken cancellationToken)
    {
        var current = view;
        if (current is not null && current.Proofs.TryGetValue(e.Position, out var known))
        {
            return known;
        }

        if (current is null || await log.LeafIndexAsync(e.Position, cancellationToken) is not { } leaf || leaf >= current.Tree.Size)
        {
            current = await ReopenAsync(log, current, cancellationToken);
        }

        var proof = await ProveInclusion.InWitnessedTreeAsync(log, current.Tree, e, current.Witnessed?.TreeSize, cancellationToken);
        if (proof is not null && current.Proofs.Count < Remembered)
        {
            current.Proofs.TryAdd(e.Position, proof);
        }

        return proof;
    }

    private async Task<View> ReopenAsync(IMerkleLog log, View? stale, CancellationToken cancellationToken)
    {
        await reopening.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have reopened it while this one waited.
            if (view is { } fresh && !ReferenceEquals(fresh, stale))
            {
                return fresh;
            }

            var tree = await log.OpenTreeAsync(cancellationToken);
            var witnessed = policy.Quorum > 0 ? await log.LatestWitnessedAsync(policy, cancellationToken) : null;
            var opened = new View(tree, witnessed);
            view = opened;
            return opened;
        }
        finally
        {
            reopening.Release();
        }
    }

    public void Dispose() => reopening.Dispose();

    private sealed record View(IMerkleNodeSource Tree, StoredCheckpoint? Witnessed)
    {
        public ConcurrentDictionary<long, InclusionProof> Proofs { get; } = new();
    }
}
