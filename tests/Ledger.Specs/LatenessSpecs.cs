using Ledger.Projections;
using Ledger.Projections.ReadModels;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

/// <summary>A delivery after the due day is late by whole UTC days; the tracker, the rows and the wording agree.</summary>
public class LatenessSpecs
{
    [Theory]
    [InlineData("2025-11-06T23:59:59Z", null)]
    [InlineData("2025-11-01", null)]
    [InlineData("2025-11-07T00:00:00Z", 1)]
    [InlineData("2025-11-20T08:00:00+02:00", 14)]
    public void A_delivery_is_late_by_the_days_its_utc_day_comes_after_the_due_day(string delivered, int? days)
    {
        Assert.Equal(days, Lateness.DaysLate(new DateOnly(2025, 11, 6), At(delivered)));
    }

    [Fact]
    public void A_late_delivery_reads_delivered_late_with_its_days_in_the_tracker_and_the_stored_rows()
    {
        var ledger = new SpecLedger().Record(Document(Promise("p1", "2025-09-25", "report", "2025-11-06"), Delivery("d1", "2025-11-20", "report")), "2025-12-01T00:00:00Z");
        var status = ledger.Status("2025-12-01");

        var tracked = Assert.Single(PromiseTracker.Track([status], At("2025-12-01")));
        var row = Assert.Single(PromiseRow.Of(status)).Render(new DateOnly(2025, 12, 1));

        Assert.Equal((PromiseStates.Delivered, 14), (tracked.Status, tracked.DaysOverdue));
        Assert.Equal(tracked, row);
        Assert.Equal("delivered late (14 d)", Lateness.Describe(tracked.Status, tracked.DueBy, tracked.DeliveredAt));
        Assert.Equal("delivered", Lateness.Describe(PromiseStates.Delivered, tracked.DueBy, At("2025-11-05")));
    }
}
