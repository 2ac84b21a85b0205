using System.Text.Json.Nodes;
using Ledger.Diffing;
using Ledger.Projections;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

public class ProjectionSpecs
{
    private const string Recorded = "2026-01-10T12:00:00Z";

    [Fact]
    public void A_matter_opened_without_a_statement_is_not_found_with_a_message_that_says_so()
    {
        var opened = new Ledger.Events.MatterOpened("acme/empty", "Acme", "Empty", DateTimeOffset.Parse(Recorded, System.Globalization.CultureInfo.InvariantCulture), "spec");
        var timeline = MatterTimeline.Build([new Ledger.Storage.Recorded(1, opened)])!;

        var refused = Assert.Throws<Ledger.Querying.NotFoundException>(() => Ledger.Querying.LedgerQueries.ExistedBy(timeline, DateTimeOffset.MaxValue));

        Assert.Equal("matter \"acme/empty\" is opened but holds no statement yet", refused.Message);
    }

    [Fact]
    public void A_statement_recorded_late_takes_its_place_in_history_by_publication_time()
    {
        var ledger = new SpecLedger()
            .Record(Document(Finding("sept", "2025-09-25", "a1", "partially-substantiated")), "2025-09-26T00:00:00Z")
            .Record(Document(Finding("may", "2025-05-15", "a1", "no-evidence")), Recorded);

        var history = MatterHistory.Build(ledger.Timeline());

        Assert.Equal(["may", "sept"], history.Select(e => e.StatementId));
        Assert.Equal("partially-substantiated", ledger.Status("2026-01-01").Allegations.Single().Assessment);
        Assert.Contains("allegation a1: no-evidence -> partially-substantiated", history[1].Changes);
    }

    [Fact]
    public void Known_at_shows_what_the_ledger_held_then_and_as_of_what_had_been_said_by_then()
    {
        var ledger = new SpecLedger()
            .Record(Document(Finding("sept", "2025-09-25", "a1", "partially-substantiated")), "2025-09-26T00:00:00Z")
            .Record(Document(Finding("may", "2025-05-15", "a1", "no-evidence")), "2025-12-01T00:00:00Z");

        Assert.Equal(1, ledger.Status("2025-10-01T00:00:00Z", knownAt: "2025-10-01T00:00:00Z").Statements);
        Assert.Equal(2, ledger.Status("2026-01-01").Statements);
        Assert.Equal("no-evidence", ledger.Status("2025-06-01").Allegations.Single().Assessment);
        Assert.Empty(ledger.Status("2025-06-01", knownAt: "2025-10-01T00:00:00Z").Allegations);
        Assert.Throws<InvalidOperationException>(() => ledger.Timeline(At("2025-09-01")));
    }

    [Fact]
    public void A_withdrawn_statement_leaves_the_status_from_the_withdrawal_on_and_a_withdrawn_promise_stays_listed()
    {
        var ledger = new SpecLedger().Record(Document(
            Statement("act", "ActionTaken", "2025-09-25", "\"action\":\"terminated\",\"services\":[\"storage\"]"),
            Promise("prom", "2025-09-25", "report", "2025-11-06"),
            Withdrawal("w-act", "2025-10-01", "act"),
            Withdrawal("w-prom", "2025-10-02", "prom")), Recorded);

        var before = ledger.Status("2025-09-30");
        var after = ledger.Status("2025-10-05");

        Assert.Single(before.Actions);
        Assert.Equal("action-taken", before.Phase);
        Assert.Empty(after.Actions);
        Assert.Equal("opened", after.Phase);
        Assert.Equal("withdrawn", after.Promises.Single().Status);
        Assert.Equal("open", ledger.Status("2025-10-01").Promises.Single().Status);
    }

    [Fact]
    public void A_correction_applies_from_its_recording_on()
    {
        var ledger = new SpecLedger()
            .Record(Document(Finding("f1", "2025-05-15", "a1", "substantiated")), "2025-05-16T00:00:00Z")
            .Record(Document(Correction("c1", "f1", """{"findings":[{"allegation":"a1","assessment":"no-evidence"}]}""")), "2025-06-01T00:00:00Z");

        Assert.Equal("substantiated", ledger.Status("2025-05-20", knownAt: "2025-05-20").Allegations.Single().Assessment);
        Assert.Equal("no-evidence", ledger.Status("2025-05-20").Allegations.Single().Assessment);
        Assert.Equal(1, ledger.Status("2026-01-01").Statements);
        Assert.Equal(["c1"], ledger.Timeline().Entries.Single(e => e.Statement.StatementId == "f1").CorrectedBy);
    }

    [Theory]
    [InlineData("2025-11-06T23:59:59Z", "open")]
    [InlineData("2025-11-07T00:00:00Z", "overdue")]
    [InlineData("2026-01-01T00:00:00Z", "overdue")]
    public void A_promise_is_overdue_once_its_due_date_is_before_the_date_of_the_query(string asOf, string expected)
    {
        var ledger = new SpecLedger().Record(Document(Promise("p", "2025-09-25", "report", "2025-11-06")), Recorded);

        Assert.Equal(expected, ledger.Status(asOf).Promises.Single().Status);
    }

    [Fact]
    public void A_delivered_promise_is_delivered_from_the_delivery_on_and_a_late_one_counts_as_late()
    {
        var ledger = new SpecLedger().Record(Document(
            Promise("p1", "2025-09-25", "on-time", "2025-11-06"),
            Promise("p2", "2025-09-25", "late", "2025-11-06"),
            Delivery("d1", "2025-11-06", "on-time"),
            Delivery("d2", "2025-12-01", "late")), Recorded);

        Assert.Equal(["delivered", "overdue"], ledger.Status("2025-11-20").Promises.Select(p => p.Status));
        var summary = Assert.Single(OrganizationSummaries.Summarize([ledger.Status("2026-01-01")]));
        Assert.Equal((1, 1, 0, 0), (summary.DeliveredOnTime, summary.DeliveredLate, summary.Overdue, summary.Open));
    }

    [Fact]
    public void Phase_follows_the_latest_milestone_and_simultaneous_milestones_count_in_lifecycle_order()
    {
        var forward = new SpecLedger().Record(Document(
            Finding("f", "2025-09-25", "a1", "partially-substantiated"),
            Statement("t", "ActionTaken", "2025-09-25", "\"action\":\"terminated\"")), Recorded);
        var backward = new SpecLedger().Record(Document(
            Statement("t", "ActionTaken", "2025-09-25", "\"action\":\"terminated\""),
            Finding("f", "2025-09-25", "a1", "partially-substantiated")), Recorded);

        Assert.Equal("action-taken", forward.Status("2026-01-01").Phase);
        Assert.Equal("action-taken", backward.Status("2026-01-01").Phase);
        Assert.Equal("opened", forward.Status("2025-09-24").Phase);
    }

    [Fact]
    public void An_allegation_is_unassessed_until_a_finding_names_it_and_a_finding_adds_an_unreported_allegation()
    {
        var ledger = new SpecLedger().Record(Document(
            Statement("r", "AllegationReported", "2025-08-06", "\"allegation\":{\"id\":\"storage\",\"summary\":\"stored calls\"}"),
            Finding("f", "2025-09-25", "other", "inconclusive")), Recorded);

        var august = ledger.Status("2025-08-31");
        var october = ledger.Status("2025-10-01");

        Assert.Equal("unassessed", august.Allegations.Single().Assessment);
        Assert.Equal(["storage:unassessed", "other:inconclusive"], october.Allegations.Select(a => $"{a.Id}:{a.Assessment}"));
    }

    [Fact]
    public void The_same_statements_recorded_in_another_order_give_the_same_status()
    {
        string[] statements =
        [
            Finding("may", "2025-05-15", "a1", "no-evidence"),
            Statement("rep", "AllegationReported", "2025-08-06", "\"allegation\":{\"id\":\"a1\"}"),
            Statement("rev", "ReviewLaunched", "2025-08-15", "\"reviewer\":\"Firm\""),
            Finding("sept", "2025-09-25", "a1", "partially-substantiated"),
            Promise("prom", "2025-09-25", "report", "2025-11-06"),
        ];
        var forward = new SpecLedger();
        var backward = new SpecLedger();
        foreach (var s in statements)
        {
            forward.Record(Document(s), Recorded);
        }

        foreach (var s in statements.Reverse())
        {
            backward.Record(Document(s), Recorded);
        }

        Assert.Equal(Text(Json(forward.Status("2026-01-01"))), Text(Json(backward.Status("2026-01-01"))));
        Assert.Equal(Text(Json(forward.Status("2025-09-01"))), Text(Json(backward.Status("2025-09-01"))));
    }

    [Fact]
    public void History_patches_applied_in_order_reproduce_each_status_which_equals_the_status_as_of_its_publication()
    {
        var ledger = new SpecLedger().Record(Document(
            Finding("may", "2025-05-15", "a1", "no-evidence"),
            Statement("rev", "ReviewLaunched", "2025-08-15", "\"reviewer\":\"Firm\""),
            Promise("prom", "2025-08-15", "report", "2025-09-01"),
            Finding("sept", "2025-09-25", "a1", "partially-substantiated"),
            Withdrawal("w", "2025-10-01", "rev")), Recorded);
        var timeline = ledger.Timeline();

        JsonNode? document = new JsonObject();
        var history = MatterHistory.Build(timeline);
        foreach (var entry in history)
        {
            document = JsonPatch.Apply(document, entry.Patch);
            Assert.True(JsonPatch.DeepEquals(document, Json(entry.Status)), $"after revision {entry.Revision}");
            if (history.Count(e => e.PublishedAt == entry.PublishedAt) == 1 || history.Last(e => e.PublishedAt == entry.PublishedAt) == entry)
            {
                Assert.Equal(Text(Json(MatterViews.Status(timeline, entry.PublishedAt))), Text(Json(entry.Status)));
            }
        }

        // The promise falling due is an entry of its own, at the start of the day after its due date, not a change of "sept".
        Assert.Equal((MatterHistory.PromiseOverdue, "prom", At("2025-09-02")), (history[3].Type, history[3].StatementId, history[3].PublishedAt));
        Assert.Equal(["promise report overdue since 2025-09-01"], history[3].Changes);
        Assert.Equal(3, history[3].Revision);
        Assert.DoesNotContain(history[4].Changes, c => c.Contains("overdue", StringComparison.Ordinal));
        Assert.Contains("review: ongoing -> not-started", history[5].Changes);
    }

    [Fact]
    public void Comparing_two_versions_or_dates_gives_the_patch_and_lines_between_them()
    {
        var ledger = new SpecLedger().Record(Document(
            Finding("may", "2025-05-15", "a1", "no-evidence"),
            Finding("sept", "2025-09-25", "a1", "partially-substantiated")), Recorded);
        var timeline = ledger.Timeline();

        var byRevision = MatterHistory.Compare(timeline, new HistoryPoint(1, null), new HistoryPoint(2, null));
        var byDate = MatterHistory.Compare(timeline, new HistoryPoint(0, At("2025-06-01")), new HistoryPoint(0, At("2025-10-01")));

        Assert.Equal(["allegation a1: no-evidence -> partially-substantiated"], byRevision.Changes);
        Assert.Equal(byRevision.Changes, byDate.Changes);
        Assert.True(JsonPatch.DeepEquals(JsonPatch.Apply(Json(byRevision.Before!), byRevision.Patch), Json(byRevision.After)));
    }

    [Fact]
    public void The_wording_diff_shows_words_removed_and_added()
    {
        var ledger = new SpecLedger().Record(Document(
            Statement("may", "PositionStated", "2025-05-15", "\"topic\":\"t\",\"position\":\"p\"").Replace("Quote of may.", "We found no evidence to date.", StringComparison.Ordinal),
            Statement("sept", "PositionStated", "2025-09-25", "\"topic\":\"t\",\"position\":\"p\"").Replace("Quote of sept.", "We found evidence that supports elements.", StringComparison.Ordinal)), Recorded);
        var entries = ledger.Timeline().Entries;

        var wording = MatterHistory.CompareWording(entries[0].Statement, entries[1].Statement);

        Assert.Contains(wording.Segments, s => s.Op == DiffOp.Delete && s.Text.Contains("no", StringComparison.Ordinal));
        Assert.Contains(wording.Segments, s => s.Op == DiffOp.Insert && s.Text.Contains("supports", StringComparison.Ordinal));
        Assert.StartsWith("We found ", wording.Rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void The_promise_tracker_lists_overdue_promises_first_across_matters()
    {
        var ledger = new SpecLedger()
            .Record(DocumentFor("acme/one", Promise("p1", "2025-09-25", "open-one", "2026-06-01")), Recorded)
            .Record(DocumentFor("acme/two", Promise("p2", "2025-09-25", "late-one", "2025-11-06")), Recorded);
        var asOf = At("2026-01-01");
        var statuses = new[] { "acme/one", "acme/two" }.Select(m => MatterViews.Status(ledger.Timeline(null, m), asOf));

        var tracked = PromiseTracker.Track(statuses, asOf);

        Assert.Equal(["late-one:overdue:56", "open-one:open:"], tracked.Select(p => $"{p.Id}:{p.Status}:{p.DaysOverdue}"));
    }
}
