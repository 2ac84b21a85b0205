using System.Data.Common;
using Ledger.Storage;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// Where a ledger's catalogue (see <see cref="LedgerCatalog"/>) is kept between processes, in the state store beside the
/// node, so that opening reads $all only after the position it holds through, and old positions are looked up there
/// instead of in $all. Its entries are facts of one log: two processes saving the same positions save the same rows.
/// </summary>
public interface ICatalogStore : IAsyncDisposable
{
    /// <summary>What the store holds of the ledger of this prefix; null when nothing yet.</summary>
    /// <param name="prefix">The ledger's stream prefix.</param>
    /// <param name="origin">The node's ledger's first event (null while it is empty): the store must refuse to serve another log.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    Task<CatalogMark?> LoadAsync(string prefix, LedgerOrigin? origin, CancellationToken cancellationToken);

    /// <summary>
    /// Adds entries that follow what the store holds (earlier ones again are ignored), with the latest versions of the
    /// streams they touch and the statement ids they record, and moves the mark to <paramref name="through"/> unless it is
    /// further already: all in one transaction.
    /// </summary>
    Task SaveAsync(CatalogMark through, IReadOnlyList<CatalogEntry> entries, IReadOnlyCollection<StreamInfo> streams, IReadOnlyCollection<KeyValuePair<string, long>> statements, CancellationToken cancellationToken);

    /// <summary>At most <paramref name="count"/> entries from a 1-based position on, in order.</summary>
    Task<IReadOnlyList<CatalogEntry>> RangeAsync(long from, int count, CancellationToken cancellationToken);

    /// <summary>The position of the ledger's event at this $all position.</summary>
    Task<long?> FindAsync(ulong commit, ulong prepare, CancellationToken cancellationToken);

    /// <summary>The position of a matter's event.</summary>
    Task<long?> PositionOfAsync(string matter, long version, CancellationToken cancellationToken);

    /// <summary>Every stream, with the organization of its first event and its latest version.</summary>
    Task<IReadOnlyList<StreamInfo>> StreamsAsync(CancellationToken cancellationToken);

    /// <summary>The position of the event that first recorded the statement id.</summary>
    Task<long?> StatementAsync(string statementId, CancellationToken cancellationToken);
}

/// <summary>
/// How far a saved catalogue reaches: <paramref name="Count"/> events of the ledger, the last at this $all position with the
/// event id <paramref name="LastEventId"/> (null in a mark saved before the id was kept), by which opening tells the node
/// that still has that event from one that lost it.
/// </summary>
public sealed record CatalogMark(string Prefix, LedgerOrigin Origin, long Count, ulong Commit, ulong Prepare, string? LastEventId);

/// <summary>The ledger's event at a 1-based position: where it is in $all, and which matter's version it is.</summary>
public readonly record struct CatalogEntry(long Position, ulong Commit, ulong Prepare, string Matter, long Version);

/// <summary>The catalogue's mark as both state stores keep it: one row of these columns.</summary>
internal static class CatalogMarks
{
    public const string Columns = "prefix, origin_event, origin_commit, origin_prepare, count, commit_position, prepare_position, last_event";

    /// <summary>The mark of the row read, if it is this ledger's.</summary>
    /// <exception cref="StateOfAnotherLogException">It is another ledger's: a prefix of its own is another ledger, whose first event differs.</exception>
    public static CatalogMark OfLedger(DbDataReader reader, string prefix, LedgerOrigin? origin, string describeState)
    {
        var mark = new CatalogMark(
            reader.GetString(0),
            new LedgerOrigin(reader.GetString(1), (ulong)reader.GetInt64(2), (ulong)reader.GetInt64(3)),
            reader.GetInt64(4),
            (ulong)reader.GetInt64(5),
            (ulong)reader.GetInt64(6),
            reader.IsDBNull(7) ? null : reader.GetString(7));
        return mark.Origin == origin && mark.Prefix == prefix ? mark : throw StateLogOrigin.Refusal(describeState, $"{mark.Origin} (streams {mark.Prefix})", origin);
    }
}
