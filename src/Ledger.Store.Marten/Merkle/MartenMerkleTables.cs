using Ledger.Verification;
using Npgsql;

namespace Ledger.Store.Marten.Merkle;

/// <summary>
/// The tree's tables in the ledger's schema: a row per leaf (dense leaf index, the event's sequence, its leaf hash),
/// a row per complete subtree above the leaves, and the signed checkpoints. The daemon writes them in its own
/// transaction, so rows are cheap here and every level is stored: a proof is one query.
/// </summary>
internal sealed class MartenMerkleTables(string schema)
{
    public string Leaves { get; } = $"{schema}.ledger_merkle_leaves";

    public string Nodes { get; } = $"{schema}.ledger_merkle_nodes";

    public string Checkpoints { get; } = $"{schema}.ledger_checkpoints";

    /// <summary>The leaf hash each Marten append committed to for its events, keyed by matter and version: what proves a row after the last leaf genuine.</summary>
    public string Receipts { get; } = $"{schema}.ledger_merkle_receipts";

    /// <summary>The tables, append-only: triggers refuse updates, deletes and truncation.</summary>
    public string Schema => $"""
        CREATE TABLE IF NOT EXISTS {Leaves} (
            leaf_index bigint PRIMARY KEY,
            seq_id bigint NOT NULL UNIQUE,
            hash bytea NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {Nodes} (
            level integer NOT NULL,
            idx bigint NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (level, idx)
        );
        CREATE TABLE IF NOT EXISTS {Checkpoints} (
            tree_size bigint PRIMARY KEY,
            root bytea NOT NULL,
            note text NOT NULL,
            signed_at text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {Receipts} (
            stream_id text NOT NULL,
            version bigint NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (stream_id, version)
        );
        CREATE OR REPLACE FUNCTION {schema}.ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '% is append-only: rows are never changed or removed', TG_TABLE_NAME; END $$;
        CREATE OR REPLACE TRIGGER ledger_merkle_leaves_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {Leaves}
            FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ledger_refuse_change();
        CREATE OR REPLACE TRIGGER ledger_merkle_nodes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {Nodes}
            FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ledger_refuse_change();
        CREATE OR REPLACE TRIGGER ledger_merkle_receipts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {Receipts}
            FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ledger_refuse_change();
        CREATE OR REPLACE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {Checkpoints}
            FOR EACH STATEMENT EXECUTE FUNCTION {schema}.ledger_refuse_change();
        """;

    /// <summary>The hashes of the nodes given as two array parameters (levels, indexes), in their order; null where a node is missing.</summary>
    /// <summary>
    /// The receipt's leaf hash of each event given as two array parameters (streams, versions), in their order; null where
    /// no receipt covers it. A receipt row holds the leaf hashes of one append's events, 32 bytes each, from its
    /// version on (rows written before that layout hold one each, and read the same).
    /// </summary>
    public string ReceiptsQuery(bool hexadecimal, string streams, string versions)
    {
        var hash = "substring(r.hash FROM ((q.v - r.version) * 32 + 1)::integer FOR 32)";
        return $"""
            SELECT {(hexadecimal ? $"encode({hash}, 'hex')" : hash)}
            FROM unnest({streams}::text[], {versions}::bigint[]) WITH ORDINALITY AS q(s, v, ord)
            LEFT JOIN LATERAL (SELECT version, hash FROM {Receipts} WHERE stream_id = q.s AND version <= q.v ORDER BY version DESC LIMIT 1) r
                ON q.v < r.version + length(r.hash) / 32
            ORDER BY q.ord
            """;
    }

    /// <summary>The receipt of one append: its events' leaf hashes in version order, from the first event's version on.</summary>
    public string ReceiptInsert(string stream, string firstVersion, string hashes) =>
        $"INSERT INTO {Receipts} (stream_id, version, hash) VALUES ({stream}, {firstVersion}, {hashes})";

    public string NodesQuery(bool hexadecimal, string levels, string indexes)
    {
        var hash = hexadecimal ? "encode(coalesce(n.hash, l.hash), 'hex')" : "coalesce(n.hash, l.hash)";
        return $"""
            select {hash} FROM unnest({levels}::integer[], {indexes}::bigint[]) WITH ORDINALITY AS q(level, idx, ord)
            LEFT JOIN {Nodes} n ON q.level > 0 AND n.level = q.level AND n.idx = q.idx
            LEFT JOIN {Leaves} l ON q.level = 0 AND l.leaf_index = q.idx
            ORDER BY q.ord
            """;
    }

    /// <summary>The hashes of complete subtrees of the tree of <paramref name="size"/> leaves, in one query made by <paramref name="command"/>.</summary>
    /// <exception cref="InvalidOperationException">A node the tree must hold is missing.</exception>
    public async Task<IReadOnlyList<byte[]>> ReadNodesAsync(Func<string, NpgsqlCommand> command, IReadOnlyList<MerkleNodeId> nodes, long size, CancellationToken cancellationToken)
    {
        Check(nodes, size);
        if (nodes.Count == 0)
        {
            return [];
        }

        await using var query = command(NodesQuery(hexadecimal: false, "$1", "$2"));
        query.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Level).ToArray() });
        query.Parameters.Add(new NpgsqlParameter { Value = nodes.Select(n => n.Index).ToArray() });
        var hashes = new List<byte[]?>(nodes.Count);
        await using var reader = await query.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            hashes.Add(reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0));
        }

        return Complete(nodes, hashes);
    }

    /// <exception cref="ArgumentOutOfRangeException">A node is not a complete subtree of the tree of <paramref name="size"/> leaves.</exception>
    public static void Check(IReadOnlyList<MerkleNodeId> nodes, long size)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        foreach (var node in nodes)
        {
            if (node.Level < 0 || node.Level > 62 || node.Index < 0 || node.EndLeaf > size)
            {
                throw new ArgumentOutOfRangeException(nameof(nodes), $"node ({node.Level}, {node.Index}) is not a complete subtree of a tree of {size}");
            }
        }
    }

    /// <exception cref="InvalidOperationException">A node the tree must hold is missing.</exception>
    public static IReadOnlyList<byte[]> Complete(IReadOnlyList<MerkleNodeId> nodes, IReadOnlyList<byte[]?> hashes)
    {
        var result = new byte[nodes.Count][];
        for (var i = 0; i < nodes.Count; i++)
        {
            result[i] = i < hashes.Count && hashes[i] is { } hash
                ? hash
                : throw new InvalidOperationException($"the tree misses node ({nodes[i].Level}, {nodes[i].Index})");
        }

        return result;
    }
}
