namespace Ledger.Store.Sqlite;

/// <summary>How a store opens its file. Internal: only the bench opens a store without the tree or the read models, to measure what they cost.</summary>
internal sealed class SqliteStoreOptions
{
    /// <summary>Whether appends extend the Merkle tree. A store that appends without it leaves the tree behind, and a store with it then refuses to append: it cannot tell those rows from forged ones.</summary>
    public bool MerkleTree { get; init; } = true;

    /// <summary>Whether appends keep the read models. A store that appends without them marks them stale; the next store opened with them rebuilds them.</summary>
    public bool ReadModels { get; init; } = true;
}
