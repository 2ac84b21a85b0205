using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The RFC 9162 tree over the events, on one connection. Leaf i is the event at position i + 1. Leaf hashes are kept
/// compactly, up to <see cref="LeavesPerRow"/> concatenated per row of merkle_leaves keyed by the first leaf; complete
/// subtrees of <see cref="StoredFromLevel"/> levels and more get a row each in merkle_nodes; the levels in between are
/// folded from at most 2^StoredFromLevel leaf hashes when a proof asks for them. A proof thus reads O(log n) rows,
/// and an append writes one leaves row plus about one node row per 2^(StoredFromLevel-1) events.
/// </summary>
internal sealed class MerkleTables : IDisposable
{
    public const int StoredFromLevel = 6;
    public const int LeavesPerRow = 256;

    /// <summary>The tables of schema 2, append-only like the events.</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS merkle_leaves (
            first_leaf INTEGER PRIMARY KEY,
            hashes BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS merkle_nodes (
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (level, idx)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS log_checkpoints (
            tree_size INTEGER PRIMARY KEY,
            root BLOB NOT NULL,
            note TEXT NOT NULL,
            signed_at TEXT NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS merkle_leaves_are_immutable BEFORE UPDATE ON merkle_leaves
            BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS merkle_leaves_are_never_deleted BEFORE DELETE ON merkle_leaves
            BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS merkle_nodes_are_immutable BEFORE UPDATE ON merkle_nodes
            BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS merkle_nodes_are_never_deleted BEFORE DELETE ON merkle_nodes
            BEGIN SELECT RAISE(ABORT, 'the Merkle tree is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS log_checkpoints_are_immutable BEFORE UPDATE ON log_checkpoints
            BEGIN SELECT RAISE(ABORT, 'signed checkpoints are immutable'); END;
        CREATE TRIGGER IF NOT EXISTS log_checkpoints_are_never_deleted BEFORE DELETE ON log_checkpoints
            BEGIN SELECT RAISE(ABORT, 'signed checkpoints are never deleted'); END;
        """;

    private const int CatchUpChunk = 4096;

    private readonly SqliteConnection connection;
    private readonly SqliteCommand sizes;
    private readonly SqliteCommand insertLeaves;
    private readonly SqliteCommand insertNode;
    private readonly SqliteCommand readNode;
    private readonly SqliteCommand readLeaves;

    public MerkleTables(SqliteConnection connection)
    {
        this.connection = connection;
        sizes = Command(
            """
            SELECT (SELECT coalesce(max(position), 0) FROM events),
                   coalesce((SELECT first_leaf + length(hashes) / 32 FROM merkle_leaves ORDER BY first_leaf DESC LIMIT 1), 0)
            """);
        insertLeaves = Command("INSERT INTO merkle_leaves (first_leaf, hashes) VALUES ($first, $hashes)", "$first", "$hashes");
        insertNode = Command("INSERT INTO merkle_nodes (level, idx, hash) VALUES ($level, $idx, $hash)", "$level", "$idx", "$hash");
        readNode = Command("SELECT hash FROM merkle_nodes WHERE level = $level AND idx = $idx", "$level", "$idx");
        readLeaves = Command(
            """
            SELECT first_leaf, hashes FROM merkle_leaves
            WHERE first_leaf >= coalesce((SELECT first_leaf FROM merkle_leaves WHERE first_leaf <= $from ORDER BY first_leaf DESC LIMIT 1), 0)
              AND first_leaf < $to
            ORDER BY first_leaf
            """,
            "$from", "$to");
    }

    public SqliteTransaction? Transaction
    {
        set
        {
            foreach (var command in new[] { sizes, insertLeaves, insertNode, readNode, readLeaves })
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

    /// <summary>The frontier of the stored tree of <paramref name="size"/> leaves: O(log n) nodes read.</summary>
    public MerkleFrontier LoadFrontier(long size) =>
        MerkleFrontier.LoadAsync(new Snapshot(this, size), size).AsTask().GetAwaiter().GetResult();

    /// <summary>Appends leaves at the frontier's size: one leaves row per <see cref="LeavesPerRow"/>, and the nodes of the stored levels.</summary>
    public void Append(MerkleFrontier frontier, IReadOnlyList<byte[]> leafHashes)
    {
        for (var start = 0; start < leafHashes.Count; start += LeavesPerRow)
        {
            var count = Math.Min(LeavesPerRow, leafHashes.Count - start);
            var blob = new byte[count * MerkleHashes.Size];
            insertLeaves.Parameters[0].Value = frontier.Size;
            for (var i = 0; i < count; i++)
            {
                var leaf = leafHashes[start + i];
                leaf.CopyTo(blob, i * MerkleHashes.Size);
                foreach (var (node, hash) in frontier.Append(leaf))
                {
                    if (node.Level >= StoredFromLevel)
                    {
                        insertNode.Parameters[0].Value = node.Level;
                        insertNode.Parameters[1].Value = node.Index;
                        insertNode.Parameters[2].Value = hash;
                        insertNode.ExecuteNonQuery();
                    }
                }
            }

            insertLeaves.Parameters[1].Value = blob;
            insertLeaves.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Brings the tree up to the last event: hashes the stored events beyond the frontier and appends them. Used by the
    /// schema migration (backfill) and when a store opened without the tree appended to the file.
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
                readNode.Parameters[0].Value = node.Level;
                readNode.Parameters[1].Value = node.Index;
                result[i] = readNode.ExecuteScalar() as byte[]
                    ?? throw new InvalidOperationException($"the tree misses node ({node.Level}, {node.Index}) of a tree of {size}");
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
        foreach (var command in new[] { sizes, insertLeaves, insertNode, readNode, readLeaves })
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

    private SqliteCommand Command(string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    /// <summary>The tables as a node source fixed at a size, on this connection and its transaction.</summary>
    internal sealed class Snapshot(MerkleTables tables, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(nodes);
            return ValueTask.FromResult<IReadOnlyList<byte[]>>(tables.GetNodes(size, nodes));
        }
    }
}
