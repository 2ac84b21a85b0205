using Ledger.Storage;
using Ledger.Verification;
using Microsoft.Data.Sqlite;

namespace Ledger.Store.Sqlite;

/// <summary>
/// The Merkle tree over another store's events, kept in a SQLite file of its own: for EventStoreDB ledgers, whose
/// server keeps events only. A projection extends it behind the appends in ledger position order, as Marten's daemon
/// does on PostgreSQL; the tables are the embedded store's (merkle_tree, log_checkpoints), append-only alike.
/// </summary>
public sealed class SqliteMerkleTree : IProjectedMerkleTree
{
    private readonly string connectionString;
    private readonly SqliteMerkleLog log;

    private SqliteMerkleTree(string path, IEventStore events)
    {
        Path = System.IO.Path.GetFullPath(path);
        connectionString = SqliteEventStore.ConnectionString(Path);
        log = new SqliteMerkleLog(ConnectAsync, events);
    }

    public string Path { get; }

    public IMerkleLog Merkle => log;

    /// <summary>Opens (creating) the tree file for the events of <paramref name="events"/>.</summary>
    public static async Task<SqliteMerkleTree> OpenAsync(string path, IEventStore events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var tree = new SqliteMerkleTree(path, events);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(tree.Path)!);
        await using var connection = await tree.ConnectAsync(true, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA journal_mode=WAL; {SqliteMerkleTables.Schema}";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return tree;
    }

    public async Task<long> SizeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(false, cancellationToken);
        using var tables = new SqliteMerkleTables(connection);
        return tables.TreeSize();
    }

    /// <exception cref="System.Text.Json.JsonException">An event's data is not I-JSON.</exception>
    public async Task<long> ExtendAsync(IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await using var connection = await ConnectAsync(true, cancellationToken);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var tables = new SqliteMerkleTables(connection) { Transaction = transaction };
        var size = tables.TreeSize();
        var fresh = events.Where(e => e.Position > size).ToList();
        for (var i = 0; i < fresh.Count; i++)
        {
            if (fresh[i].Position != size + i + 1)
            {
                throw new InvalidOperationException($"the Merkle tree of {Path} holds {size + i} leaves, but the next event given is at position {fresh[i].Position}");
            }
        }

        if (fresh.Count > 0)
        {
            var hashes = new byte[fresh.Count][];
            Parallel.For(0, fresh.Count, new ParallelOptions { CancellationToken = cancellationToken }, i => hashes[i] = CanonicalEvent.LeafHash(fresh[i]));
            tables.Append(tables.LoadFrontier(size), hashes);
            transaction.Commit();
        }

        return size + fresh.Count;
    }

    public ValueTask DisposeAsync()
    {
        log.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<SqliteConnection> ConnectAsync(bool write, CancellationToken cancellationToken) =>
        SqliteEventStore.ConnectAsync(connectionString, write, cancellationToken);
}
