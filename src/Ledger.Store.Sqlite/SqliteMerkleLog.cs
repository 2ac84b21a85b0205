using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The Merkle log kept in a SQLite file: reads of the tree's tables and the signed checkpoints. The events are those of
/// the same file (the embedded store, whose appends extend the tree), or of another store whose tree the file keeps
/// (<see cref="SqliteMerkleTree"/>).
/// </summary>
internal sealed class SqliteMerkleLog(Func<bool, CancellationToken, Task<SqliteConnection>> connect, IEventStore? events = null) : IMerkleLog, IDisposable
{
    private const int LeavesPerRead = 1024;

    // Open connections with their statements prepared, for proofs: opening and preparing costs more than the reads.
    private readonly ConcurrentBag<(SqliteConnection Connection, SqliteMerkleTables Tables)> readers = [];
    private bool disposed;

    public async Task<IMerkleNodeSource> OpenTreeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connect(false, cancellationToken);
        using var tree = new SqliteMerkleTables(connection);
        return new TreeAtSize(this, tree.TreeSize());
    }

    public void Dispose()
    {
        disposed = true;
        while (readers.TryTake(out var reader))
        {
            reader.Tables.Dispose();
            reader.Connection.Dispose();
        }
    }

    private async Task<byte[][]> GetNodesAsync(long size, IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken)
    {
        if (!readers.TryTake(out var reader))
        {
            var connection = await connect(false, cancellationToken);
            reader = (connection, new SqliteMerkleTables(connection));
        }

        var returned = false;
        try
        {
            var hashes = reader.Tables.GetNodes(size, nodes);
            if (!disposed)
            {
                readers.Add(reader);
                returned = true;
            }

            return hashes;
        }
        finally
        {
            if (!returned)
            {
                reader.Tables.Dispose();
                await reader.Connection.DisposeAsync();
            }
        }
    }

    public async Task<long?> LeafIndexAsync(long position, CancellationToken cancellationToken = default)
    {
        await using var connection = await connect(false, cancellationToken);
        using var tree = new SqliteMerkleTables(connection);
        return position >= 1 && position <= tree.TreeSize() ? position - 1 : null;
    }

    public IAsyncEnumerable<MerkleLeaf> ReadLeavesAsync(long fromIndex = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromIndex);
        return events is null ? ReadLeavesWithFileEventsAsync(fromIndex, cancellationToken) : ReadLeavesWithStoreEventsAsync(events, fromIndex, cancellationToken);
    }

    private async IAsyncEnumerable<MerkleLeaf> ReadLeavesWithFileEventsAsync(long fromIndex, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await connect(false, cancellationToken);

        // One read transaction: the leaves and the events are of the same moment.
        using var transaction = connection.BeginTransaction(deferred: true);
        using var tree = new SqliteMerkleTables(connection) { Transaction = transaction };
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = $"SELECT {SqliteEventStore.Columns} FROM events WHERE position > $from AND position <= $to ORDER BY position";
        var from = read.Parameters.Add(new SqliteParameter { ParameterName = "$from" });
        var to = read.Parameters.Add(new SqliteParameter { ParameterName = "$to" });
        var size = tree.TreeSize();
        for (var start = fromIndex; start < size; start += LeavesPerRead)
        {
            var end = Math.Min(size, start + LeavesPerRead);
            var hashes = tree.ReadLeaves(start, end);
            from.Value = start;
            to.Value = end;
            var stored = new Dictionary<long, StoredEvent>();
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var e = SqliteEventStore.ToStoredAsFound(reader);
                    stored[e.Position] = e;
                }
            }

            for (var i = start; i < end; i++)
            {
                yield return new MerkleLeaf(i, i + 1, hashes[i - start], stored.GetValueOrDefault(i + 1));
            }
        }
    }

    /// <summary>The tree's leaves beside the other store's events at the same positions, read as they are now.</summary>
    private async IAsyncEnumerable<MerkleLeaf> ReadLeavesWithStoreEventsAsync(IEventStore store, long fromIndex, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await connect(false, cancellationToken);
        using var tree = new SqliteMerkleTables(connection);
        var size = tree.TreeSize();
        if (fromIndex >= size)
        {
            yield break;
        }

        await using var stored = store.ReadAllAsync(fromIndex + 1, null, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var next = await stored.MoveNextAsync() ? stored.Current : null;
        for (var start = fromIndex; start < size; start += LeavesPerRead)
        {
            var end = Math.Min(size, start + LeavesPerRead);
            var hashes = tree.ReadLeaves(start, end);
            for (var i = start; i < end; i++)
            {
                while (next is not null && next.Position < i + 1)
                {
                    next = await stored.MoveNextAsync() ? stored.Current : null;
                }

                yield return new MerkleLeaf(i, i + 1, hashes[i - start], next?.Position == i + 1 ? next : null);
            }
        }
    }

    public IAsyncEnumerable<UncoveredEvent> ReadUncoveredAsync(CancellationToken cancellationToken = default) =>
        events is null ? ReadForgedRowsAsync(cancellationToken) : ReadTrailingStoreEventsAsync(events, cancellationToken);

    /// <summary>
    /// The file's own events: every append extends the tree in its transaction, so leaf i is the row at position i + 1,
    /// and a row before position 1 or after the last leaf can only have been inserted behind the writer's back.
    /// </summary>
    private async IAsyncEnumerable<UncoveredEvent> ReadForgedRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await connect(false, cancellationToken);
        using var transaction = connection.BeginTransaction(deferred: true);
        using var tree = new SqliteMerkleTables(connection) { Transaction = transaction };
        var size = tree.TreeSize();
        await using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = $"SELECT {SqliteEventStore.Columns} FROM events WHERE position < 1 OR position > $size ORDER BY position";
        read.Parameters.AddWithValue("$size", size);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var e = SqliteEventStore.ToStoredAsFound(reader);
            yield return new UncoveredEvent(e, e.Position < 1
                ? "is stored outside the log's positions (1 and up): it was inserted behind the ledger's back"
                : $"is stored after the tree's last leaf ({size}), but every append extends the tree in its own transaction: it was inserted behind the ledger's back");
        }
    }

    /// <summary>Another store's events after the tree's last leaf: its node appended them, and the projection has yet to hash them in.</summary>
    private async IAsyncEnumerable<UncoveredEvent> ReadTrailingStoreEventsAsync(IEventStore store, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long size;
        await using (var connection = await connect(false, cancellationToken))
        {
            using var tree = new SqliteMerkleTables(connection);
            size = tree.TreeSize();
        }

        await foreach (var e in store.ReadAllAsync(size + 1, null, cancellationToken))
        {
            yield return new UncoveredEvent(e, null);
        }
    }

    public async Task<IReadOnlyList<StoredCheckpoint>> ReadCheckpointsAsync(bool latestOnly, CancellationToken cancellationToken = default) =>
        await SelectCheckpointsAsync(latestOnly ? "ORDER BY tree_size DESC LIMIT 1" : "ORDER BY tree_size", null, cancellationToken);

    public async Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var connection = await connect(true, cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO log_checkpoints (tree_size, root, note, signed_at) VALUES ($size, $root, $note, $at) ON CONFLICT (tree_size) DO NOTHING";
        insert.Parameters.AddWithValue("$size", checkpoint.TreeSize);
        insert.Parameters.AddWithValue("$root", checkpoint.RootHash);
        insert.Parameters.AddWithValue("$note", checkpoint.Note);
        insert.Parameters.AddWithValue("$at", SqliteEventStore.Format(checkpoint.SignedAt));
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return;
        }

        (await SelectCheckpointsAsync("WHERE tree_size = $size", checkpoint.TreeSize, cancellationToken)).Single().MustBeKeptAs(checkpoint);
    }

    private async Task<List<StoredCheckpoint>> SelectCheckpointsAsync(string clause, long? size, CancellationToken cancellationToken)
    {
        await using var connection = await connect(false, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT tree_size, root, note, signed_at FROM log_checkpoints {clause}";
        if (size is { } s)
        {
            command.Parameters.AddWithValue("$size", s);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new StoredCheckpoint(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), SqliteEventStore.Parse(reader.GetString(3))));
        }

        return list;
    }

    /// <summary>The tree as committed when opened: complete subtrees never change, so later appends do not disturb it.</summary>
    private sealed class TreeAtSize(SqliteMerkleLog log, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(nodes);
            return await log.GetNodesAsync(size, nodes, cancellationToken);
        }
    }
}
