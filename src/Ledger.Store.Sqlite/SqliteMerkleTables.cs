using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The RFC 9162 tree over the events, on one connection. Leaf i is the event at position i + 1. Each append writes
/// one row of merkle_tree per <see cref="LeavesPerRow"/> leaves, keyed by its first leaf: the leaf hashes
/// concatenated, and the hashes of the complete subtrees of <see cref="StoredFromLevel"/> levels and more that
/// those leaves complete, in the order they complete. One row, always at the end of the table, keeps the pages an
/// append commits few. The levels below are folded from at most 2^StoredFromLevel leaf hashes when a proof asks for
/// them, and a stored node is found from the leaf that completes it, so a proof reads O(log n) rows.
/// </summary>
internal sealed class SqliteMerkleTables : IDisposable
{
    public const int StoredFromLevel = 6;
    public const int LeavesPerRow = 256;

    /// <summary>The tables of schema 3, append-only like the events.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS merkle_tree (
            first_leaf INTEGER PRIMARY KEY,
            nodes BLOB NOT NULL,
            leaves BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS log_checkpoints (
            tree_size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            signed_at TEXT NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS merkle_tree_is_immutable BEFORE UPDATE ON merkle_tree
            BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS merkle_tree_is_never_deleted BEFORE DELETE ON merkle_tree
            BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS log_checkpoints_are_immutable BEFORE UPDATE ON log_checkpoints
            BEGIN SELECT RAISE(ABORT, 'signed checkpoints are immutable'); END;
        CREATE TRIGGER IF NOT EXISTS log_checkpoints_are_never_deleted BEFORE DELETE ON log_checkpoints
            BEGIN SELECT RAISE(ABORT, 'signed checkpoints are never deleted'); END;
        """;

    private const int CatchUpChunk = 4096;

    private readonly SqliteConnection connection;
    private readonly SqliteCommand sizes;
    private readonly SqliteCommand treeSize;
    private readonly SqliteCommand insertRow;
    private readonly SqliteCommand readRow;
    private readonly SqliteCommand readLeaves;

    public SqliteMerkleTables(SqliteConnection connection)
    {
        this.connection = connection;
        sizes = Command(
            """
            SELECT (SELECT coalesce(max(position), 0) FROM events),
                   coalesce((SELECT first_leaf + length(leaves) / 32 FROM merkle_tree ORDER BY first_leaf DESC LIMIT 1), 0)
            """);
        treeSize = Command("SELECT coalesce((SELECT first_leaf + length(leaves) / 32 FROM merkle_tree ORDER BY first_leaf DESC LIMIT 1), 0)");
        insertRow = Command("INSERT INTO merkle_tree (first_leaf, nodes, leaves) VALUES ($first, $nodes, $leaves)", "$first", "$nodes", "$leaves");
        readRow = Command("SELECT first_leaf, length(leaves) / 32, nodes FROM merkle_tree WHERE first_leaf <= $leaf ORDER BY first_leaf DESC LIMIT 1", "$leaf");
        readLeaves = Command(
            """
            SELECT first_leaf, leaves FROM merkle_tree
            WHERE first_leaf >= coalesce((SELECT first_leaf FROM merkle_tree WHERE first_leaf <= $from ORDER BY first_leaf DESC LIMIT 1), 0)
              AND first_leaf < $to
            ORDER BY first_leaf
            """,
            "$from", "$to");
    }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in new[] { sizes, treeSize, insertRow, readRow, readLeaves })
            {
                command.Transaction = value;
            }
        }
    }

    /// <summary>The last event's position and the tree's size; equal unless events were appended without the tree.</summary>
    public (long Events, long Tree) Sizes()
    {
        using var reader = sizes.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The number of leaves stored: one read of the last row.</summary>
    public long TreeSize() => (long)treeSize.ExecuteScalar()!;

    /// <summary>The frontier of the stored tree of <paramref name="size"/> leaves: O(log n) nodes read.</summary>
    public MerkleFrontier LoadFrontier(long size) =>
        MerkleFrontier.LoadAsync(new Snapshot(this, size), size).AsTask().GetAwaiter().GetResult();

    /// <summary>Appends leaves at the frontier's size: one row per <see cref="LeavesPerRow"/> leaves, with the nodes of the stored levels they complete.</summary>
    public void Append(MerkleFrontier frontier, IReadOnlyList<byte[]> leafHashes) => Insert(Extend(frontier, leafHashes));

    /// <summary>
    /// Extends the frontier by leaf hashes and returns the rows that store them: no I/O, so a writer can run it on
    /// another core while it inserts the events.
    /// </summary>
    public static List<TreeRow> Extend(MerkleFrontier frontier, IReadOnlyList<byte[]> leafHashes)
    {
        var rows = new List<TreeRow>((leafHashes.Count + LeavesPerRow - 1) / LeavesPerRow);
        var completed = new List<byte[]>();
        for (var start = 0; start < leafHashes.Count; start += LeavesPerRow)
        {
            var count = Math.Min(LeavesPerRow, leafHashes.Count - start);
            var leaves = new byte[count * MerkleHashes.Size];
            var first = frontier.Size;
            completed.Clear();
            for (var i = 0; i < count; i++)
            {
                var leaf = leafHashes[start + i];
                frontier.Append(leaf, StoredFromLevel, completed);
                leaf.CopyTo(leaves, i * MerkleHashes.Size);
            }

            var nodes = new byte[completed.Count * MerkleHashes.Size];
            for (var i = 0; i < completed.Count; i++)
            {
                completed[i].CopyTo(nodes, i * MerkleHashes.Size);
            }

            rows.Add(new TreeRow(first, nodes, leaves));
        }

        return rows;
    }

    public void Insert(IReadOnlyList<TreeRow> rows)
    {
        foreach (var row in rows)
        {
            insertRow.Parameters[0].Value = row.FirstLeaf;
            insertRow.Parameters[1].Value = row.Nodes;
            insertRow.Parameters[2].Value = row.Leaves;
            insertRow.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Brings the tree up to the last event: hashes the stored events beyond the frontier and appends them. Used by the
    /// schema migration of a file without a tree (backfill); appends never do, since they cannot tell a forged row.
    /// </summary>
    public void CatchUp(MerkleFrontier frontier, long lastPosition)
    {
        using var read = connection.CreateCommand();
        read.Transaction = sizes.Transaction;
        read.CommandText = $"SELECT {SqliteEventStore.Columns} FROM events WHERE position > $from AND position <= $to ORDER BY position LIMIT {CatchUpChunk}";
        var from = read.Parameters.Add(new SqliteParameter { ParameterName = "$from" });
        read.Parameters.AddWithValue("$to", lastPosition);
        while (frontier.Size < lastPosition)
        {
            from.Value = frontier.Size;
            var events = new List<StoredEvent>(CatchUpChunk);
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    events.Add(SqliteEventStore.ToStored(reader));
                }
            }

            if (events.Count == 0 || events[0].Position != frontier.Size + 1 || events[^1].Position != frontier.Size + events.Count)
            {
                throw new InvalidOperationException($"the events after position {frontier.Size} are not dense: the tree cannot cover them");
            }

            var hashes = new byte[events.Count][];
            Parallel.For(0, events.Count, i => hashes[i] = CanonicalEvent.LeafHash(events[i]));
            Append(frontier, hashes);
        }
    }

    /// <summary>The row at a position as the user knows it: statement id, matter, version.</summary>
    public string Describe(long position)
    {
        using var read = connection.CreateCommand();
        read.Transaction = sizes.Transaction;
        read.CommandText = "SELECT statement_id, stream_id, stream_version, event_type FROM events WHERE position = $position";
        read.Parameters.AddWithValue("$position", position);
        using var reader = read.ExecuteReader();
        return !reader.Read() ? $"the event at position {position}"
            : reader.IsDBNull(0) ? $"the {reader.GetString(3)} event of {reader.GetString(1)} v{reader.GetInt64(2)} (position {position})"
            : $"statement {reader.GetString(0)} ({reader.GetString(1)} v{reader.GetInt64(2)}, position {position})";
    }

    /// <summary>
    /// Schema 2 kept leaf hashes and nodes in two tables. The leaf hashes are carried over as stored, never recomputed
    /// from the events, so that a change made to either before the migration stays visible; the nodes are derived anew.
    /// </summary>
    public void MigrateFromSchema2()
    {
        var frontier = new MerkleFrontier();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = sizes.Transaction;
            read.CommandText = "SELECT first_leaf, hashes FROM merkle_leaves ORDER BY first_leaf";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                var first = reader.GetInt64(0);
                var hashes = (byte[])reader.GetValue(1);
                if (first != frontier.Size || hashes.Length == 0 || hashes.Length % MerkleHashes.Size != 0)
                {
                    throw new InvalidOperationException($"the schema 2 tree (merkle_leaves) is not dense at leaf {frontier.Size}: it cannot be carried over");
                }

                Append(frontier, hashes.Chunk(MerkleHashes.Size).ToList());
            }
        }

        using var drop = connection.CreateCommand();
        drop.Transaction = sizes.Transaction;
        drop.CommandText = "DROP TABLE merkle_leaves; DROP TABLE merkle_nodes;";
        drop.ExecuteNonQuery();
    }

    /// <summary>The hashes of complete subtrees of the tree of <paramref name="size"/> leaves.</summary>
    public byte[][] GetNodes(long size, IReadOnlyList<MerkleNodeId> nodes)
    {
        var result = new byte[nodes.Count][];
        Dictionary<long, byte[][]>? blocks = null;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node.Level < 0 || node.Level > 62 || node.Index < 0 || node.EndLeaf > size)
            {
                throw new ArgumentOutOfRangeException(nameof(nodes), $"node ({node.Level}, {node.Index}) is not a complete subtree of a tree of {size}");
            }

            if (node.Level >= StoredFromLevel)
            {
                result[i] = ReadNode(node);
                continue;
            }

            // Lower levels come from the leaves of the aligned block around them, read once per proof.
            blocks ??= [];
            var block = node.FirstLeaf >> StoredFromLevel;
            if (!blocks.TryGetValue(block, out var leaves))
            {
                leaves = ReadLeaves(block << StoredFromLevel, Math.Min((block + 1) << StoredFromLevel, size));
                blocks[block] = leaves;
            }

            result[i] = Fold(leaves, (int)(node.FirstLeaf - (block << StoredFromLevel)), 1 << node.Level);
        }

        return result;
    }

    /// <summary>
    /// The number of stored nodes that leaves [0, <paramref name="end"/>) complete: leaf i completes level L when
    /// 2^L divides i + 1, so floor(end / 2^L) of them per level.
    /// </summary>
    public static long StoredNodesBefore(long end)
    {
        var count = 0L;
        for (var level = StoredFromLevel; level < 63 && (end >> level) > 0; level++)
        {
            count += end >> level;
        }

        return count;
    }

    /// <summary>A stored node, from the row of the leaf that completes it: its place there follows from the row's first leaf.</summary>
    private byte[] ReadNode(MerkleNodeId node)
    {
        var completing = node.EndLeaf - 1;
        readRow.Parameters[0].Value = completing;
        using var reader = readRow.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"the tree misses node ({node.Level}, {node.Index}): no row holds leaf {completing}");
        }

        var first = reader.GetInt64(0);
        var end = first + reader.GetInt64(1);
        var nodes = (byte[])reader.GetValue(2);
        if (completing >= end)
        {
            throw new InvalidOperationException($"the tree misses node ({node.Level}, {node.Index}): no row holds leaf {completing}");
        }

        if (nodes.Length != (StoredNodesBefore(end) - StoredNodesBefore(first)) * MerkleHashes.Size)
        {
            throw new InvalidOperationException($"the tree row of leaves [{first}, {end}) holds {nodes.Length / MerkleHashes.Size} nodes, not the {StoredNodesBefore(end) - StoredNodesBefore(first)} those leaves complete");
        }

        var offset = (StoredNodesBefore(completing) - StoredNodesBefore(first) + node.Level - StoredFromLevel) * MerkleHashes.Size;
        return nodes.AsSpan((int)offset, MerkleHashes.Size).ToArray();
    }

    /// <summary>The leaf hashes of [from, to), which must all be stored.</summary>
    public byte[][] ReadLeaves(long from, long to)
    {
        var leaves = new byte[to - from][];
        readLeaves.Parameters[0].Value = from;
        readLeaves.Parameters[1].Value = to;
        using (var reader = readLeaves.ExecuteReader())
        {
            while (reader.Read())
            {
                var first = reader.GetInt64(0);
                var hashes = (byte[])reader.GetValue(1);
                for (var i = Math.Max(from, first); i < Math.Min(to, first + (hashes.Length / MerkleHashes.Size)); i++)
                {
                    leaves[i - from] = hashes.AsSpan((int)(i - first) * MerkleHashes.Size, MerkleHashes.Size).ToArray();
                }
            }
        }

        if (Array.IndexOf(leaves, null) is var missing and >= 0)
        {
            throw new InvalidOperationException($"the tree misses leaf {from + missing}");
        }

        return leaves;
    }

    public void Dispose()
    {
        foreach (var command in new[] { sizes, treeSize, insertRow, readRow, readLeaves })
        {
            command.Dispose();
        }
    }

    /// <summary>The hash of a complete subtree of <paramref name="count"/> (a power of two) leaves.</summary>
    private static byte[] Fold(byte[][] leaves, int start, int count)
    {
        if (count == 1)
        {
            return leaves[start];
        }

        var half = count / 2;
        return MerkleHashes.Node(Fold(leaves, start, half), Fold(leaves, start + half, half));
    }

    private SqliteCommand Command(string sql, params string[] parameters) => connection.Prepare(sql, parameters);

    /// <summary>One row of merkle_tree: leaves [FirstLeaf, FirstLeaf + Leaves.Length / 32) and the stored nodes they complete.</summary>
    internal readonly record struct TreeRow(long FirstLeaf, byte[] Nodes, byte[] Leaves);

    /// <summary>The tables as a node source fixed at a size, on this connection and its transaction.</summary>
    internal sealed class Snapshot(SqliteMerkleTables tables, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(nodes);
            return ValueTask.FromResult<IReadOnlyList<byte[]>>(tables.GetNodes(size, nodes));
        }
    }
}
