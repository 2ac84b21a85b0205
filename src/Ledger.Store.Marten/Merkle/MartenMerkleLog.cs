using System.Globalization;
using System.Runtime.CompilerServices;
using Ledger.Storage;
using Ledger.Verification;
using Npgsql;

namespace Ledger.Store.Marten.Merkle;

/// <summary>The Merkle log of a Marten ledger: reads of the tables the daemon extends, and the signed checkpoints.</summary>
/// <remarks><paramref name="uncovered"/>: the events no leaf covers, given the sequence of the last leaf (0 for none).</remarks>
internal sealed class MartenMerkleLog(
    NpgsqlDataSource dataSource,
    string schema,
    Func<IReadOnlyCollection<long>, CancellationToken, Task<List<StoredEvent>>> eventsAt,
    Func<long, CancellationToken, IAsyncEnumerable<UncoveredEvent>> uncovered) : IMerkleLog
{
    private const int LeavesPerRead = 1000;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private readonly MartenMerkleTables tables = new(schema);

    public async Task<IMerkleNodeSource> OpenTreeAsync(CancellationToken cancellationToken = default) =>
        new TreeAtSize(dataSource, tables, await SizeAsync(cancellationToken));

    public async Task<long?> LeafIndexAsync(long position, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT leaf_index FROM {tables.Leaves} WHERE seq_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = position });
        return await command.ExecuteScalarAsync(cancellationToken) is long index ? index : null;
    }

    public async IAsyncEnumerable<MerkleLeaf> ReadLeavesAsync(long fromIndex = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromIndex);
        var size = await SizeAsync(cancellationToken);
        for (var start = fromIndex; start < size; start += LeavesPerRead)
        {
            var leaves = new List<(long Index, long Position, byte[] Hash)>();
            await using (var command = dataSource.CreateCommand($"SELECT leaf_index, seq_id, hash FROM {tables.Leaves} WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index"))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = start });
                command.Parameters.Add(new NpgsqlParameter { Value = Math.Min(size, start + LeavesPerRead) });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    leaves.Add((reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2)));
                }
            }

            var events = (await eventsAt(leaves.Select(l => l.Position).ToList(), cancellationToken)).ToDictionary(e => e.Position);
            foreach (var (index, position, hash) in leaves)
            {
                yield return new MerkleLeaf(index, position, hash, events.GetValueOrDefault(position));
            }
        }
    }

    public async IAsyncEnumerable<UncoveredEvent> ReadUncoveredAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long last;
        await using (var command = dataSource.CreateCommand($"SELECT coalesce(max(seq_id), 0) FROM {tables.Leaves}"))
        {
            last = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        await foreach (var e in uncovered(last, cancellationToken))
        {
            yield return e;
        }
    }

    public async Task AddCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var insert = dataSource.CreateCommand(
            $"INSERT INTO {tables.Checkpoints} (tree_size, root, note, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING");
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.TreeSize });
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.RootHash });
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.Note });

        // As text: timestamptz keeps microseconds, and a checkpoint must read back exactly as signed.
        insert.Parameters.Add(new NpgsqlParameter { Value = checkpoint.SignedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) });
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return;
        }

        (await SelectCheckpointsAsync("WHERE tree_size = $1", checkpoint.TreeSize, cancellationToken)).Single().MustBeKeptAs(checkpoint);
    }

    private async Task<long> SizeAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT coalesce(max(leaf_index) + 1, 0) FROM {tables.Leaves}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<StoredCheckpoint>> ReadCheckpointsAsync(bool latestOnly, CancellationToken cancellationToken = default) =>
        await SelectCheckpointsAsync(latestOnly ? "ORDER BY tree_size DESC LIMIT 1" : "ORDER BY tree_size", null, cancellationToken);

    private async Task<List<StoredCheckpoint>> SelectCheckpointsAsync(string clause, long? size, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT tree_size, root, note, signed_at FROM {tables.Checkpoints} {clause}");
        if (size is { } s)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = s });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredCheckpoint>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var signedAt = DateTimeOffset.ParseExact(reader.GetString(3), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            list.Add(new StoredCheckpoint(reader.GetInt64(0), (byte[])reader.GetValue(1), reader.GetString(2), signedAt));
        }

        return list;
    }

    /// <summary>The tree as committed when opened: complete subtrees never change, so later batches of the daemon do not disturb it.</summary>
    private sealed class TreeAtSize(NpgsqlDataSource dataSource, MartenMerkleTables tables, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default) =>
            await tables.ReadNodesAsync(dataSource.CreateCommand, nodes, size, cancellationToken);
    }
}
