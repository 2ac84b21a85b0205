using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Deadlines;

/// <summary>A promise's due date passed with nothing delivered. Raised once per promise and due date.</summary>
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
    DateTimeOffset DetectedAt)
{
    public string NotificationId => $"promise-overdue:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";
}

public static class PromiseBecameOverdueHandler
{
    public static Task<IReadOnlyList<DeliverWebhooks>> Handle(PromiseBecameOverdue message, INotificationFeed feed, IEventStore store, IWebhookStore webhooks, TimeProvider clock,
        ILogger<PromiseBecameOverdue> logger, CancellationToken cancellationToken) =>
        PromiseNoticeEntry.EnterAsync(message.NotificationId, NotificationKinds.PromiseOverdue, message.Matter, message.Organization, message.PromiseStatementId,
            message.OverdueSince, message, feed, store, webhooks, clock, logger, cancellationToken);
}
