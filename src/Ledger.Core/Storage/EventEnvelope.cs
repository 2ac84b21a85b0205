using Ledger.Events;
using Ledger.Serialization;

namespace Ledger.Storage;

/// <summary>Maps events to and from the stored form, the same way for every backend.</summary>
public static class EventEnvelope
{
    public static EventToAppend ToAppend(ILedgerEvent e, string organization) => e switch
    {
        Statement s => new EventToAppend(s.Type, s.StatementId, organization, s.PublishedAt, s.RecordedAt, s.RecordedBy) { Event = s },
        _ => new EventToAppend(EventTypes.NameOf(e.GetType()), null, organization, null, e.RecordedAt, e.RecordedBy) { Event = e },
    };

    public static ILedgerEvent ToEvent(StoredEvent stored) => LedgerJson.Deserialize(stored.Type, stored.Data);

    public static Recorded ToRecorded(StoredEvent stored) => new(stored.Position, ToEvent(stored));
}

/// <summary>An event with its global position in the ledger: the order the ledger recorded it in.</summary>
public sealed record Recorded(long Position, ILedgerEvent Event);
