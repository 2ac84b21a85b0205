using Ledger.Events;
using Ledger.Messaging.Webhooks;
using Ledger.Projections;

namespace Ledger.Messaging.Deadlines;

/// <summary>Scheduled for the moment a promise would become overdue: the start (UTC) of the day after its due date.</summary>
public sealed record CheckPromiseDeadline(string Matter, string PromiseId, DateOnly DueBy)
{
    public DateTimeOffset Deadline => Deadlines.Of(DueBy);
}

public static class Deadlines
{
    /// <summary>A promise due on a day is overdue from the next day on, as MatterStatus renders it.</summary>
    public static DateTimeOffset Of(DateOnly dueBy) => new(dueBy.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The checks a new event calls for: a promise's own, or, after a correction, every undelivered promise's.</summary>
    public static IEnumerable<CheckPromiseDeadline> ChecksFor(ILedgerEvent recorded, MatterStatus? statusAfterCorrection) => recorded switch
    {
        DisclosurePromised p => [new CheckPromiseDeadline(p.Matter, p.Promise.Id, p.Promise.DueBy)],
        EntryCorrected when statusAfterCorrection is not null => statusAfterCorrection.Promises
            .Where(p => p.Status is PromiseStates.Open or PromiseStates.Overdue)
            .Select(p => new CheckPromiseDeadline(statusAfterCorrection.Matter, p.Id, p.DueBy)),
        _ => [],
    };

    /// <summary>The reminders the same events call for, each at the start of its promise's reminder window.</summary>
    public static IEnumerable<CheckPromiseReminder> RemindersFor(ILedgerEvent recorded, MatterStatus? statusAfterCorrection, double reminderDays) =>
        ChecksFor(recorded, statusAfterCorrection).Select(c => new CheckPromiseReminder(c.Matter, c.PromiseId, c.DueBy, reminderDays));

    /// <summary>A recorded delivery is checked at once for lateness.</summary>
    public static IEnumerable<CheckPromiseDelivery> DeliveriesFor(ILedgerEvent recorded) => recorded is DisclosureDelivered d
        ? [new CheckPromiseDelivery(d.Matter, d.Promise, d.StatementId)]
        : [];

    /// <summary>
    /// Pure: the overdue notification, if the promise is still undelivered and still due on the day the check was
    /// scheduled for; otherwise nothing (delivered, withdrawn, or moved by a correction, which scheduled its own check).
    /// </summary>
    public static PromiseBecameOverdue? Decide(CheckPromiseDeadline check, MatterStatus? status, DateTimeOffset now)
    {
        var promise = status?.Promises.FirstOrDefault(p => p.Id == check.PromiseId);
        if (status is null || promise is null || promise.DueBy != check.DueBy || promise.Status != PromiseStates.Overdue)
        {
            return null;
        }

        return new PromiseBecameOverdue(status.Matter, status.Organization, promise.Id, promise.What, promise.DueBy, promise.DueText,
            promise.StatementId, promise.PromisedAt, check.Deadline, now);
    }
}

/// <summary>Enters the overdue notice, if the promise is overdue from the day the check was scheduled for.</summary>
public static class CheckPromiseDeadlineHandler
{
    public static Task<IReadOnlyList<DeliverWebhooks>> Handle(CheckPromiseDeadline check, PromiseNoticeEntry notices, CancellationToken cancellationToken) =>
        notices.DecideAndEnterAsync(check.Matter, (status, now) => Deadlines.Decide(check, status, now), cancellationToken);
}
