using Marten.Services.BatchQuerying;
using Npgsql;

namespace Ledger.Store.Marten.ReadModels;

/// <summary>
/// Transaction-scoped advisory locks that keep the read models consistent under concurrent writers. Marten's upsert is
/// last-writer-wins, and an organization row is read, moved by a matter's difference and written back: two appends to
/// matters of one organization must not both read the old row. A lock per organization, taken before the row is read,
/// serializes exactly those appends (appends to other organizations run on), with no retry loop as optimistic
/// concurrency would need. The same lock keeps a rebuild batch from refolding a matter an append is changing. A shared
/// lock held by every writer lets a rebuild empty the read models with nobody writing. Every writer also notifies
/// <see cref="Channel"/>, which PostgreSQL delivers when (and only if) its transaction commits: readers that keep
/// the read models' position in memory (<see cref="ReadModelPositionWatch"/>) learn that it moved.
/// </summary>
internal static class ReadModelLocks
{
    public const string Channel = "ledger_read_models";
    private const string Prefix = "ledger_read_models:";
    private const string Notify = $"SELECT pg_notify('{Channel}', '')";

    /// <summary>Locks for an append or a rebuild batch: the shared one, then the organizations' in one order, so writers never deadlock.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, IEnumerable<string> organizations, CancellationToken cancellationToken)
    {
        await using var batch = connection.CreateBatch();
        var shared = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))");
        shared.Parameters.Add(new NpgsqlParameter { Value = Prefix });
        var each = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended(o, 0)) FROM unnest($1::text[]) o");
        each.Parameters.Add(new NpgsqlParameter { Value = organizations.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(o => Prefix + o).ToArray() });
        batch.BatchCommands.Add(shared);
        batch.BatchCommands.Add(each);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Notify));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The same locks as <see cref="WriteAsync"/>, queued first in a batch query of the caller's transaction: PostgreSQL
    /// runs a batch's statements in order, so the reads queued after them run under the locks, and the append pays no
    /// round trip of its own for them.
    /// </summary>
    public static void Queue(IBatchedQuery batch, IEnumerable<string> organizations)
    {
        batch.Query<string>("select 'locked' from pg_advisory_xact_lock_shared(hashtextextended(?, 0))", Prefix);
        batch.Query<string>(
            "select 'locked' from unnest(?::text[]) o, lateral pg_advisory_xact_lock(hashtextextended(o, 0))",
            (object)organizations.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(o => Prefix + o).ToArray());
        batch.Query<string>("select 'notified' from pg_notify(?, '')", Channel);
    }

    /// <summary>The lock that waits for every writer's transaction to end and keeps new ones out until this one ends.</summary>
    public static async Task ExclusiveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = connection.CreateBatch();
        var exclusive = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))");
        exclusive.Parameters.Add(new NpgsqlParameter { Value = Prefix });
        batch.BatchCommands.Add(exclusive);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Notify));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
