using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;
using Ledger.Querying;
using Ledger.Storage;
using Microsoft.Extensions.Logging;

namespace Ledger.Messaging.Deadlines;

/// <summary>Scheduled for the start of a promise's reminder window: its deadline less the window.</summary>
public sealed record CheckPromiseReminder(string Matter, string PromiseId, DateOnly DueBy, double ReminderDays)
{
    public DateTimeOffset RemindAt => Deadlines.Of(DueBy) - TimeSpan.FromDays(ReminderDays);
}

/// <summary>A promise still open comes due within the reminder window. Raised once per promise and due date.</summary>
public sealed record PromiseDueSoon(
    string Matter,
    string Organization,
    string PromiseId,
    string What,
    DateOnly DueBy,
    string? DueText,
    string PromiseStatementId,
    DateTimeOffset PromisedAt,
    DateTimeOffset DueSoonSince,
    DateTimeOffset DetectedAt)
{
    public string NotificationId => $"promise-due-soon:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";
}

public static class PromiseReminders
{
    /// <summary>
    /// Pure: the reminder, if the promise is still open with the due date it was scheduled for and the window has begun;
    /// nothing once it is overdue (the overdue notice says more), delivered, withdrawn or moved.
    /// </summary>
    public static PromiseDueSoon? Decide(CheckPromiseReminder check, MatterStatus? status, DateTimeOffset now)
    {
        var promise = status?.Promises.FirstOrDefault(p => p.Id == check.PromiseId);
        if (status is null || promise is null || promise.DueBy != check.DueBy || promise.Status != PromiseStates.Open || now < check.RemindAt)
        {
            return null;
        }

        return new PromiseDueSoon(status.Matter, status.Organization, promise.Id, promise.What, promise.DueBy, promise.DueText, promise.StatementId, promise.PromisedAt,
            Max(check.RemindAt, promise.PromisedAt), now);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

public static class CheckPromiseReminderHandler
{
    public static async Task<PromiseDueSoon?> Handle(CheckPromiseReminder check, IEventStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var events = await new LedgerQueries(store).MatterEventsAsync(check.Matter, cancellationToken);
        return PromiseReminders.Decide(check, MatterViews.Status(events, now, now), now);
    }
}

public static class PromiseDueSoonHandler
{
    public static Task<IReadOnlyList<DeliverWebhooks>> Handle(PromiseDueSoon message, INotificationFeed feed, IEventStore store, IWebhookStore webhooks, TimeProvider clock,
        ILogger<PromiseDueSoon> logger, CancellationToken cancellationToken) =>
        PromiseNoticeEntry.EnterAsync(message.NotificationId, NotificationKinds.PromiseDueSoon, message.Matter, message.Organization, message.PromiseStatementId,
            message.DueSoonSince, message, feed, store, webhooks, clock, logger, cancellationToken);
}
