using Ledger.Storage;
using Ledger.Verification;
using Npgsql;

namespace Ledger.Store.Marten.Merkle;

/// <summary>
/// The Merkle tree over another store's events (an EventStoreDB ledger's) in a PostgreSQL state database, for workers on
/// several machines: the Marten ledger's tables (a row per leaf, its position as the sequence, and every complete
/// subtree), append-only alike, extended behind the appends by a projection. One extension at a time: each locks the
/// leaves table until it commits.
/// </summary>
public sealed class MartenMerkleTree : IProjectedMerkleTree
{
    private readonly NpgsqlDataSource dataSource;
    private readonly MartenMerkleTables tables;

    private MartenMerkleTree(NpgsqlDataSource dataSource, string schema, IEventStore events)
    {
        this.dataSource = dataSource;
        tables = new MartenMerkleTables(schema);
        Merkle = new MartenMerkleLog(dataSource, schema, (positions, cancellationToken) => EventsAtAsync(events, positions, cancellationToken), (last, cancellationToken) => TrailingAsync(events, last, cancellationToken));
    }

    public IMerkleLog Merkle { get; }

    /// <summary>Opens the tree in <paramref name="schema"/> of the database, creating its tables when missing.</summary>
    public static async Task<MartenMerkleTree> OpenAsync(string connectionString, string schema, IEventStore events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var tree = new MartenMerkleTree(dataSource, schema, events);
            await using var create = dataSource.CreateCommand($"CREATE SCHEMA IF NOT EXISTS {schema}; {tree.tables.Schema}");
            await create.ExecuteNonQueryAsync(cancellationToken);
            return tree;
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    public async Task<long> SizeAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT coalesce(max(leaf_index) + 1, 0) FROM {tables.Leaves}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <exception cref="System.Text.Json.JsonException">An event's data is not I-JSON.</exception>
    public async Task<long> ExtendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var exclusive = new NpgsqlCommand($"LOCK TABLE {tables.Leaves} IN EXCLUSIVE MODE", connection, transaction))
        {
            await exclusive.ExecuteNonQueryAsync(cancellationToken);
        }

        long size;
        await using (var count = new NpgsqlCommand($"SELECT coalesce(max(leaf_index) + 1, 0) FROM {tables.Leaves}", connection, transaction))
        {
            size = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }

        var fresh = events.Where(e => e.Position > size).ToList();
        for (var i = 0; i < fresh.Count; i++)
        {
            if (fresh[i].Position != size + i + 1)
            {
                throw new InvalidOperationException($"the Merkle tree in {tables.Leaves} holds {size + i} leaves, but the next event given is at position {fresh[i].Position}");
            }
        }

        if (fresh.Count == 0)
        {
            return size;
        }

        var hashes = new byte[fresh.Count][];
        Parallel.For(0, fresh.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => hashes[i] = CanonicalEvent.LeafHash(fresh[i]));
        var frontier = await MerkleFrontier.LoadAsync(new NodesInTransaction(connection, transaction, tables, size), size, cancellationToken);
        var (levels, indexes, nodes) = (new List<int>(), new List<long>(), new List<byte[]>());
        foreach (var leaf in hashes)
        {
            foreach (var (node, hash) in frontier.Append(leaf).Skip(1))
            {
                levels.Add(node.Level);
                indexes.Add(node.Index);
                nodes.Add(hash);
            }
        }

        await using (var insertLeaves = new NpgsqlCommand(
            $"INSERT INTO {tables.Leaves} (leaf_index, seq_id, hash) SELECT p - 1, p, h FROM unnest($1::bigint[], $2::bytea[]) AS t(p, h)", connection, transaction))
        {
            insertLeaves.Parameters.Add(new NpgsqlParameter { Value = fresh.Select(e => e.Position).ToArray() });
            insertLeaves.Parameters.Add(new NpgsqlParameter { Value = hashes });
            await insertLeaves.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insertNodes = new NpgsqlCommand(
            $"INSERT INTO {tables.Nodes} (level, idx, hash) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bytea[])", connection, transaction))
        {
            insertNodes.Parameters.Add(new NpgsqlParameter { Value = levels.ToArray() });
            insertNodes.Parameters.Add(new NpgsqlParameter { Value = indexes.ToArray() });
            insertNodes.Parameters.Add(new NpgsqlParameter { Value = nodes.ToArray() });
            await insertNodes.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return size + fresh.Count;
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <summary>The other store's events at these positions, read as they are now.</summary>
    /// <summary>The node's events after the last leaf: it appended them, and the projection has yet to hash them in.</summary>
    private static async IAsyncEnumerable<UncoveredEvent> TrailingAsync(IEventStore events, long last, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.ReadAllAsync(last + 1, null, cancellationToken))
        {
            yield return new UncoveredEvent(e, null);
        }
    }

    private static async Task<List<StoredEvent>> EventsAtAsync(IEventStore events, IReadOnlyCollection<long> positions, CancellationToken cancellationToken)
    {
        var wanted = positions.ToHashSet();
        var found = new List<StoredEvent>(wanted.Count);
        if (wanted.Count == 0)
        {
            return found;
        }

        var last = wanted.Max();
        await foreach (var e in events.ReadAllAsync(wanted.Min(), null, cancellationToken))
        {
            if (e.Position > last)
            {
                break;
            }

            if (wanted.Contains(e.Position))
            {
                found.Add(e);
            }
        }

        return found;
    }

    /// <summary>The stored tree's nodes read inside the extending transaction, for the frontier.</summary>
    private sealed class NodesInTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, MartenMerkleTables tables, long size) : IMerkleNodeSource
    {
        public long Size => size;

        public async ValueTask<IReadOnlyList<byte[]>> GetNodesAsync(IReadOnlyList<MerkleNodeId> nodes, CancellationToken cancellationToken = default) =>
            await tables.ReadNodesAsync(sql => new NpgsqlCommand(sql, connection, transaction), nodes, size, cancellationToken);
    }
}
