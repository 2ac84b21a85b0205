using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;

namespace Ledger.Messaging.Deadlines;

/// <summary>Sent by the relay for each recorded delivery: was it after the promise's due date?</summary>
public sealed record CheckPromiseDelivery(string Matter, string PromiseId, string DeliveryStatementId);

/// <summary>The data of a promise-delivered-late notification: a promise delivered after its due date. Entered once per promise and due date.</summary>
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
    DateTimeOffset DetectedAt) : IPromiseNotice
{
    public string NotificationId => $"promise-delivered-late:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";

    string IPromiseNotice.Kind => NotificationKinds.PromiseDeliveredLate;

    DateTimeOffset IPromiseNotice.OccurredAt => DeliveredAt;
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

/// <summary>Enters the late-delivery notice, if the promise was delivered late.</summary>
public static class CheckPromiseDeliveryHandler
{
    public static Task<IReadOnlyList<DeliverWebhooks>> Handle(CheckPromiseDelivery check, PromiseNoticeEntry notices, CancellationToken cancellationToken) =>
        notices.DecideAndEnterAsync(check.Matter, (status, now) => LateDeliveries.Decide(check, status, now), cancellationToken);
}
