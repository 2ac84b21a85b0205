using JasperFx.Events;
using Ledger.Store.Marten.Projections;
using Ledger.Verification;
using Marten;

namespace Ledger.Store.Marten.Merkle;

/// <summary>
/// Extends the Merkle tree as Marten's async daemon hands it the events: for each ledger event (tombstones of failed
/// appends are skipped) the next dense leaf index, its sequence and leaf hash, and the complete subtrees it closes, all
/// queued into the daemon's own transaction, so the tree moves exactly with the projection's progress. The frontier is
/// kept between batches and re-read whenever the stored tree is not where this instance left it (a restart, a failed
/// batch, another node taking over).
/// </summary>
internal sealed class MerkleTreeProjection(string schema) : ConfiguredProjection
{
    public const string Name = "LedgerMerkleTree";

    private readonly MartenMerkleTables tables = new(schema);
    private MerkleFrontier? frontier;
    private long lastSequence;

    public override async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(events);
        var size = (await operations.QueryAsync<long>($"select coalesce(max(leaf_index) + 1, 0) from {tables.Leaves}", cancellation)).Single();
        var last = (await operations.QueryAsync<long>($"select coalesce(max(seq_id), 0) from {tables.Leaves}", cancellation)).Single();
        if (frontier is null || frontier.Size != size || lastSequence != last)
        {
            frontier = await MerkleFrontier.LoadAsync(new OperationsNodes(operations, tables, size), size, cancellation);
            lastSequence = last;
        }

        var fresh = events.Where(e => MartenEventStore.IsLedgerEvent(e) && e.Sequence > lastSequence).OrderBy(e => e.Sequence).ToList();
        var receipts = await operations.QueryAsync<string>('^', tables.ReceiptsQuery(hexadecimal: true, "^", "^"), cancellation, fresh.Select(e => e.StreamKey!).ToArray(), fresh.Select(e => e.Version).ToArray());
        var leafIndexes = new List<long>();
        var sequences = new List<long>();
        var leafHashes = new List<string>();
        var levels = new List<int>();
        var nodeIndexes = new List<long>();
        var nodeHashes = new List<string>();
        try
        {
            // Events a replay or a retried batch hands over again are in the tree already.
            for (var i = 0; i < fresh.Count; i++)
            {
                var e = fresh[i];
                var leaf = CanonicalEvent.LeafHash(MartenEventStore.ToStored(e));

                // A row no append committed to (inserted with SQL) is never taken: verify names it.
                if (!string.Equals(receipts[i], Convert.ToHexString(leaf), StringComparison.OrdinalIgnoreCase))
                {
                    lastSequence = e.Sequence;
                    continue;
                }

                leafIndexes.Add(frontier.Size);
                sequences.Add(e.Sequence);
                leafHashes.Add(Convert.ToHexString(leaf));
                foreach (var (node, hash) in frontier.Append(leaf))
                {
                    if (node.Level > 0)
                    {
                        levels.Add(node.Level);
                        nodeIndexes.Add(node.Index);
                        nodeHashes.Add(Convert.ToHexString(hash));
                    }
                }

                lastSequence = e.Sequence;
            }
        }
        catch
        {
            frontier = null;
            throw;
        }

        if (leafIndexes.Count == 0)
        {
            return;
        }

        operations.QueueSqlCommand('^',
            $"INSERT INTO {tables.Leaves} (leaf_index, seq_id, hash) SELECT i, s, decode(h, 'hex') FROM unnest(^::bigint[], ^::bigint[], ^::text[]) AS t(i, s, h)",
            leafIndexes.ToArray(), sequences.ToArray(), leafHashes.ToArray());
        if (levels.Count > 0)
        {
            operations.QueueSqlCommand('^',
                $"INSERT INTO {tables.Nodes} (level, idx, hash) SELECT l, i, decode(h, 'hex') FROM unnest(^::integer[], ^::bigint[], ^::text[]) AS t(l, i, h)",
                levels.ToArray(), nodeIndexes.ToArray(), nodeHashes.ToArray());
        }
    }

    /// <summary>The stored tree read through the daemon's session, for loading the frontier.</summary>
    private sealed class OperationsNodes(IDocumentOperations operations, MartenMerkleTables tables, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default)
        {
            MartenMerkleTables.Check(nodes, size);
            if (nodes.Count == 0)
            {
                return [];
            }

            var hex = await operations.QueryAsync<string>('^', tables.NodesQuery(hexadecimal: true, "^", "^"), cancellationToken,
                nodes.Select(n => n.Level).ToArray(), nodes.Select(n => n.Index).ToArray());
            return MartenMerkleTables.Complete(nodes, hex.Select(h => h is null ? null : Convert.FromHexString(h)).ToList());
        }
    }
}
