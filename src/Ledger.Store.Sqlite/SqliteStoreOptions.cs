namespace Ledger.Store.Sqlite;

/// <summary>How a store opens its file. Internal: only the bench opens a store without the tree, to measure what it costs.</summary>
internal sealed class SqliteStoreOptions
{
    /// <summary>Whether appends extend the Merkle tree. A store that appends without it leaves the tree behind, and a store with it then refuses to append: it cannot tell those rows from forged ones.</summary>
    public bool MerkleTree { get; init; } = true;
}
