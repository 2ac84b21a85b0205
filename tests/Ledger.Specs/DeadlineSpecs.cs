using Ledger.Events;
using Ledger.Messaging.Deadlines;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

public class DeadlineSpecs
{
    private const string Recorded = "2025-09-26T00:00:00Z";
    private static readonly CheckPromiseDeadline Check = new(Matter, "report", new DateOnly(2025, 11, 6));

    [Fact]
    public void A_promise_due_on_a_day_falls_due_at_the_start_of_the_next_day_utc()
    {
        Assert.Equal(At("2025-11-07T00:00:00Z"), Check.Deadline);
    }

    [Fact]
    public void Given_an_undelivered_promise_when_its_deadline_is_checked_then_it_became_overdue()
    {
        var ledger = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06")), Recorded);
        var now = At("2025-11-07T00:00:01Z");

        var overdue = Deadlines.Decide(Check, ledger.Status("2025-11-07T00:00:01Z", knownAt: "2025-11-07T00:00:01Z"), now);

        Assert.NotNull(overdue);
        Assert.Equal(("report", "p1", At("2025-11-07T00:00:00Z"), now), (overdue.PromiseId, overdue.PromiseStatementId, overdue.OverdueSince, overdue.DetectedAt));
        Assert.Equal($"promise-overdue:{Matter}/report@2025-11-06", overdue.NotificationId);
    }

    [Fact]
    public void Given_a_delivered_or_withdrawn_promise_when_its_deadline_is_checked_then_nothing_is_raised()
    {
        var delivered = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Delivery("d1", "2025-11-01", "report")), "2025-11-02T00:00:00Z");
        var withdrawn = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Withdrawal("w1", "2025-10-01", "p1")), "2025-11-02T00:00:00Z");
        var now = At("2025-11-08");

        Assert.Null(Deadlines.Decide(Check, delivered.Status("2025-11-08"), now));
        Assert.Null(Deadlines.Decide(Check, withdrawn.Status("2025-11-08"), now));
    }

    [Fact]
    public void Given_a_correction_moving_the_due_date_when_the_old_deadline_is_checked_then_nothing_is_raised_and_the_new_one_is_scheduled()
    {
        var ledger = new SpecLedger()
            .Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06")), Recorded)
            .Record(Document(Correction("c1", "p1", """{"promise.dueBy":"2025-12-31"}""")), "2025-11-01T00:00:00Z");
        var status = ledger.Status("2025-11-08", knownAt: "2025-11-08");

        Assert.Null(Deadlines.Decide(Check, status, At("2025-11-08")));
        var correction = ledger.Events.Select(e => e.Event).OfType<EntryCorrected>().Single();
        Assert.Equal([new CheckPromiseDeadline(Matter, "report", new DateOnly(2025, 12, 31))], Deadlines.ChecksFor(correction, status));
    }

    [Fact]
    public void A_check_before_the_deadline_or_for_an_unknown_matter_raises_nothing()
    {
        var ledger = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06")), Recorded);

        Assert.Null(Deadlines.Decide(Check, ledger.Status("2025-11-06T23:59:59Z"), At("2025-11-06T23:59:59Z")));
        Assert.Null(Deadlines.Decide(Check, null, At("2025-11-08")));
    }

    [Fact]
    public void A_new_promise_schedules_one_check_and_other_statements_none()
    {
        var ledger = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Finding("f1", "2025-09-25", "a1", "no-evidence")), Recorded);
        var events = ledger.Events.Select(e => e.Event).ToList();

        Assert.Equal([Check], events.OfType<DisclosurePromised>().SelectMany(e => Deadlines.ChecksFor(e, null)));
        Assert.Empty(events.Where(e => e is not DisclosurePromised).SelectMany(e => Deadlines.ChecksFor(e, null)));
    }

    [Fact]
    public void Given_a_delivery_after_the_due_date_when_it_is_checked_then_the_promise_was_delivered_late_and_one_on_time_raises_nothing()
    {
        var late = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Delivery("d1", "2025-11-16", "report")), "2025-11-17T00:00:00Z");
        var onTime = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Delivery("d1", "2025-11-06", "report")), "2025-11-17T00:00:00Z");
        var check = new CheckPromiseDelivery(Matter, "report", "d1");
        var now = At("2025-11-17T00:00:01Z");

        var notice = LateDeliveries.Decide(check, late.Status("2025-11-17T00:00:01Z"), now);

        Assert.NotNull(notice);
        Assert.Equal(("p1", "d1", 10, At("2025-11-16")), (notice.PromiseStatementId, notice.DeliveryStatementId, notice.DaysLate, notice.DeliveredAt));
        Assert.Equal($"promise-delivered-late:{Matter}/report@2025-11-06", notice.NotificationId);
        Assert.Null(LateDeliveries.Decide(check, onTime.Status("2025-11-17T00:00:01Z"), now));
        Assert.Equal([check], late.Events.Select(e => e.Event).SelectMany(Deadlines.DeliveriesFor));
    }

    [Fact]
    public void Given_an_open_promise_its_reminder_is_due_soon_from_the_window_start_and_not_once_it_is_overdue_or_delivered()
    {
        var open = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06")), Recorded);
        var delivered = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Delivery("d1", "2025-10-01", "report")), "2025-10-02T00:00:00Z");
        var reminder = new CheckPromiseReminder(Matter, "report", new DateOnly(2025, 11, 6), 7);

        Assert.Equal(At("2025-10-31T00:00:00Z"), reminder.RemindAt);
        var soon = PromiseReminders.Decide(reminder, open.Status("2025-10-31T00:00:01Z"), At("2025-10-31T00:00:01Z"));
        Assert.NotNull(soon);
        Assert.Equal(($"promise-due-soon:{Matter}/report@2025-11-06", At("2025-10-31T00:00:00Z")), (soon.NotificationId, soon.DueSoonSince));
        Assert.Null(PromiseReminders.Decide(reminder, open.Status("2025-10-30T23:59:59Z"), At("2025-10-30T23:59:59Z")));
        Assert.Null(PromiseReminders.Decide(reminder, open.Status("2025-11-07T00:00:01Z"), At("2025-11-07T00:00:01Z")));
        Assert.Null(PromiseReminders.Decide(reminder, delivered.Status("2025-11-01"), At("2025-11-01")));
    }
}
