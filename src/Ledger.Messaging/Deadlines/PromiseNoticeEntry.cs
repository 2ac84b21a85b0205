using System.Text.Json;
using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Deadlines;

/// <summary>
/// Enters a promise notice in the feed once (its id is deterministic), placed after the last event of the log as it is
/// when decided, and wakes the webhook subscriptions it matches.
/// </summary>
internal static class PromiseNoticeEntry
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<IReadOnlyList<DeliverWebhooks>> EnterAsync<T>(string id, string kind, string matter, string organization, string promiseStatementId,
        DateTimeOffset occurredAt, T data, INotificationFeed feed, IEventStore store, IWebhookStore webhooks, TimeProvider clock, ILogger logger,
        CancellationToken cancellationToken)
    {
        var position = await store.LastPositionAsync(cancellationToken);
        var notice = new NewNotification(id, kind, matter, organization, position, null, promiseStatementId, occurredAt, clock.GetUtcNow(), JsonSerializer.Serialize(data, Json));
        if (!await feed.AppendAsync(notice, cancellationToken))
        {
            return [];
        }

        logger.LogInformation("notified {Id} after event {Position}", id, position);
        var probe = new Notification(0, notice.Id, notice.Kind, notice.Matter, notice.Organization, notice.Position, null, notice.StatementId, notice.OccurredAt, notice.NotifiedAt, notice.Data);
        return (await webhooks.ListAsync(cancellationToken))
            .Where(s => s.Active && PromiseNotices.Matches(s.Filter, probe))
            .Select(s => new DeliverWebhooks(s.Id))
            .ToList();
    }
}
