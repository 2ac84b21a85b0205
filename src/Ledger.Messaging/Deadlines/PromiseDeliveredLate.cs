using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Deadlines;

/// <summary>Sent by the relay for each recorded delivery: was it after the promise's due date?</summary>
public sealed record CheckPromiseDelivery(string Matter, string PromiseId, string DeliveryStatementId);

/// <summary>A promise delivered after its due date. Raised once per promise and due date.</summary>
public sealed record PromiseDeliveredLate(
    string Matter,
    string Organization,
    string PromiseId,
    string What,
    DateOnly DueBy,
    string? DueText,
    string PromiseStatementId,
    DateTimeOffset PromisedAt,
    string DeliveryStatementId,
    DateTimeOffset DeliveredAt,
    int DaysLate,
    DateTimeOffset DetectedAt)
{
    public string NotificationId => $"promise-delivered-late:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";
}

public static class LateDeliveries
{
    /// <summary>Pure: the notice, if the promise stands delivered on a day after its due date.</summary>
    public static PromiseDeliveredLate? Decide(CheckPromiseDelivery check, MatterStatus? status, DateTimeOffset now)
    {
        var promise = status?.Promises.FirstOrDefault(p => p.Id == check.PromiseId);
        if (status is null || promise is not { Status: PromiseStates.Delivered, DeliveredAt: { } delivered })
        {
            return null;
        }

        var late = DateOnly.FromDateTime(delivered.UtcDateTime).DayNumber - promise.DueBy.DayNumber;
        return late <= 0 ? null
            : new PromiseDeliveredLate(status.Matter, status.Organization, promise.Id, promise.What, promise.DueBy, promise.DueText, promise.StatementId, promise.PromisedAt,
                check.DeliveryStatementId, delivered, late, now);
    }
}

public static class CheckPromiseDeliveryHandler
{
    public static async Task<PromiseDeliveredLate?> Handle(CheckPromiseDelivery check, IEventStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var events = await new LedgerQueries(store).MatterEventsAsync(check.Matter, cancellationToken);
        return LateDeliveries.Decide(check, MatterViews.Status(events, now, now), now);
    }
}

public static class PromiseDeliveredLateHandler
{
    public static Task<IReadOnlyList<DeliverWebhooks>> Handle(PromiseDeliveredLate message, INotificationFeed feed, IEventStore store, IWebhookStore webhooks, TimeProvider clock,
        ILogger<PromiseDeliveredLate> logger, CancellationToken cancellationToken) =>
        PromiseNoticeEntry.EnterAsync(message.NotificationId, NotificationKinds.PromiseDeliveredLate, message.Matter, message.Organization, message.PromiseStatementId,
            message.DeliveredAt, message, feed, store, webhooks, clock, logger, cancellationToken);
}
