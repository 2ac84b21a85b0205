using Ledger.Storage;

namespace Ledger.Messaging.Notifying;

/// <summary>A recorded event as the relay notifies it: its feed entry, and what webhook subscriptions are matched against.</summary>
public sealed record LedgerEventRecorded(
    long Position,
    string Matter,
    string Organization,
    long Version,
    string Type,
    string? StatementId,
    DateTimeOffset? PublishedAt,
    DateTimeOffset RecordedAt,
    string RecordedBy,
    string Data)
{
    public string NotificationId => $"event:{Position}";

    public static LedgerEventRecorded From(StoredEvent e) =>
        new(e.Position, e.Stream, e.Organization, e.Version, e.Type, e.StatementId, e.PublishedAt, e.RecordedAt, e.RecordedBy, e.Data);

    /// <summary>The event's entry in the notification feed, noticed at <paramref name="notifiedAt"/>.</summary>
    public NewNotification Entry(DateTimeOffset notifiedAt) =>
        new(NotificationId, NotificationKinds.EventRecorded, Matter, Organization, Position, Type, StatementId, RecordedAt, notifiedAt, Data);
}
