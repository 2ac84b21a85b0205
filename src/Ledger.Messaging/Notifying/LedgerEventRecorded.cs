using Ledger.Messaging.Webhooks;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Notifying;

/// <summary>One message per recorded event, published by the relay in log order; subscriptions and webhooks consume it.</summary>
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
}

/// <summary>
/// Enters the event in the notification feed (a redelivered message finds its entry there and changes nothing), then
/// wakes the webhook subscriptions it matches. One handler, so that Wolverine runs both under one error policy.
/// </summary>
public static class LedgerEventRecordedHandler
{
    public static async Task<IReadOnlyList<DeliverWebhooks>> Handle(LedgerEventRecorded message, INotificationFeed feed, IWebhookStore webhooks, TimeProvider clock,
        ILogger<LedgerEventRecorded> logger, CancellationToken cancellationToken)
    {
        var id = message.NotificationId;
        var entered = await feed.AppendAsync(
            new NewNotification(
                id,
                NotificationKinds.EventRecorded,
                message.Matter,
                message.Organization,
                message.Position,
                message.Type,
                message.StatementId,
                message.RecordedAt,
                clock.GetUtcNow(),
                message.Data),
            cancellationToken);
        if (entered)
        {
            logger.LogInformation("notified {Id}: {Type} in {Matter}", id, message.Type, message.Matter);
        }

        return await WebhookTrigger.WakeAsync(message, webhooks, cancellationToken);
    }
}
