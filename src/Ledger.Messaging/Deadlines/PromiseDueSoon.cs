using Ledger.Messaging.Notifying;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;

namespace Ledger.Messaging.Deadlines;

/// <summary>Scheduled for the start of a promise's reminder window: its deadline less the window.</summary>
public sealed record CheckPromiseReminder(string Matter, string PromiseId, DateOnly DueBy, double ReminderDays)
{
    public DateTimeOffset RemindAt => Deadlines.Of(DueBy) - TimeSpan.FromDays(ReminderDays);
}

/// <summary>The data of a promise-due-soon notification: a promise still open comes due within the reminder window. Entered once per promise and due date.</summary>
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
    DateTimeOffset DetectedAt) : IPromiseNotice
{
    public string NotificationId => $"promise-due-soon:{Matter}/{PromiseId}@{DueBy:yyyy-MM-dd}";

    string IPromiseNotice.Kind => NotificationKinds.PromiseDueSoon;

    DateTimeOffset IPromiseNotice.OccurredAt => DueSoonSince;
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

/// <summary>Enters the due-soon notice, if the promise's reminder window has begun and it is still open.</summary>
public static class CheckPromiseReminderHandler
{
    public static Task<IReadOnlyList<DeliverWebhooks>> Handle(CheckPromiseReminder check, PromiseNoticeEntry notices, CancellationToken cancellationToken) =>
        notices.DecideAndEnterAsync(check.Matter, (status, now) => PromiseReminders.Decide(check, status, now), cancellationToken);
}
