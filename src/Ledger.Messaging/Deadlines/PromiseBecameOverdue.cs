using Ledger.Messaging.Notifying;

namespace Ledger.Messaging.Deadlines;

/// <summary>The data of a promise-overdue notification: a promise's due date passed with nothing delivered. Entered once per promise and due date.</summary>
public sealed record PromiseBecameOverdue(
    string Matter,
    string Organization,
    string PromiseId,
    string What,
    DateOnly DueBy,
    string? DueText,
    string PromiseStatementId,
    DateTimeOffset PromisedAt,
    DateTimeOffset OverdueSince,
    DateTimeOffset DetectedAt) : IPromiseNotice
{
    public string NotificationId => $"promise-overdue:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";

    string IPromiseNotice.Kind => NotificationKinds.PromiseOverdue;

    DateTimeOffset IPromiseNotice.OccurredAt => OverdueSince;
}
