using System.Globalization;

namespace Ledger.Store.EventStoreDb;

/// <summary>
/// What tells one EventStoreDB log from another: the ledger's first event, by its id and its $all position. The gRPC
/// protocol names no node or cluster identity that survives a restart, and an in-memory node restarted empty hands out
/// the same positions again, so the event id is what differs.
/// </summary>
public sealed record LedgerOrigin(string EventId, ulong CommitPosition, ulong PreparePosition)
{
    public override string ToString() =>
        $"event {EventId} at $all position {CommitPosition.ToString(CultureInfo.InvariantCulture)}/{PreparePosition.ToString(CultureInfo.InvariantCulture)}";
}
