using Ledger.Events;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

public class DecisionSpecs
{
    private static readonly DateTimeOffset Now = At("2026-01-10T12:00:00Z");

    [Fact]
    public void A_new_matter_is_opened_by_its_first_document_with_the_recording_time_and_actor()
    {
        var decision = new SpecLedger().Decide(Document(Statement("s1", "PositionStated", "2025-05-15", "\"topic\":\"t\",\"position\":\"p\"")), Now);

        Assert.Empty(decision.Errors);
        var opened = Assert.IsType<MatterOpened>(decision.Events[0]);
        Assert.Equal(("Acme", "Acme data review"), (opened.Organization, opened.Title));
        var statement = Assert.IsType<PositionStated>(decision.Events[1]);
        Assert.Equal(Now, statement.RecordedAt);
        Assert.Equal("spec", statement.RecordedBy);
        Assert.Equal(At("2025-05-15"), statement.PublishedAt);
        Assert.Equal(Hashing.Sha256Hex("Quote of s1."), statement.QuoteSha256);
    }

    [Fact]
    public void A_new_matter_needs_organization_and_title()
    {
        var json = """{"matter":"acme/x","statements":[""" + Statement("s1", "ReviewConcluded", "2025-05-15") + "]}";

        var decision = new SpecLedger().Decide(json, Now);

        Assert.Empty(decision.Events);
        Assert.Equal(["organization", "title"], decision.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Reimporting_an_identical_statement_is_a_no_op_reported_as_already_present()
    {
        var document = Document(Finding("f1", "2025-05-15", "a1", "no-evidence"));
        var ledger = new SpecLedger().Record(document, Now);

        var decision = ledger.Decide(document.Replace(",", ", ", StringComparison.Ordinal), Now.AddDays(1));

        Assert.Empty(decision.Errors);
        Assert.Empty(decision.Events);
        Assert.Equal(["f1"], decision.AlreadyPresent);
    }

    [Fact]
    public void The_same_id_with_different_content_is_an_error_naming_the_statement_and_field()
    {
        var ledger = new SpecLedger().Record(Document(Finding("f1", "2025-05-15", "a1", "no-evidence")), Now);

        var decision = ledger.Decide(Document(Finding("f1", "2025-05-15", "a1", "substantiated")), Now, "changed.json");

        Assert.Empty(decision.Events);
        var error = Assert.Single(decision.Errors);
        Assert.Equal("changed.json: statements[0] (id \"f1\"): field \"id\": \"f1\" is already recorded with different content; record a correction (EntryCorrected) instead", error.ToString());
    }

    [Fact]
    public void Statement_ids_are_unique_across_the_whole_ledger()
    {
        var ledger = new SpecLedger().Record(Document(Finding("f1", "2025-05-15", "a1", "no-evidence")), Now);

        var decision = ledger.Decide(DocumentFor("other/matter", Finding("f1", "2025-05-15", "a1", "no-evidence")), Now);

        Assert.Contains("already recorded in matter acme/data-review", Assert.Single(decision.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_delivery_must_name_a_recorded_promise_or_one_earlier_in_the_same_document()
    {
        var ledger = new SpecLedger();

        var unknown = ledger.Decide(Document(Delivery("d1", "2025-06-01", "nope")), Now);
        var sameDocument = ledger.Decide(Document(Promise("p1", "2025-05-15", "report", "2025-07-01"), Delivery("d1", "2025-06-01", "report")), Now);
        var laterInDocument = ledger.Decide(Document(Delivery("d1", "2025-06-01", "report"), Promise("p1", "2025-05-15", "report", "2025-07-01")), Now);

        Assert.Equal("promise", Assert.Single(unknown.Errors).Field);
        Assert.Empty(sameDocument.Errors);
        Assert.Equal(3, sameDocument.Events.Count);
        Assert.Equal("promise", Assert.Single(laterInDocument.Errors).Field);
    }

    [Fact]
    public void Withdrawals_and_corrections_must_name_an_existing_statement_of_the_matter()
    {
        var ledger = new SpecLedger().Record(Document(Finding("f1", "2025-05-15", "a1", "no-evidence")), Now);

        var withdrawal = ledger.Decide(Document(Withdrawal("w1", "2025-06-01", "missing")), Now);
        var correction = ledger.Decide(Document(Correction("c1", "missing", """{"quote":"x"}""")), Now);
        var valid = ledger.Decide(Document(Withdrawal("w1", "2025-06-01", "f1"), Correction("c1", "f1", """{"quote":"Corrected."}""")), Now);

        Assert.Equal("withdraws", Assert.Single(withdrawal.Errors).Field);
        Assert.Equal("corrects", Assert.Single(correction.Errors).Field);
        Assert.Empty(valid.Errors);
    }

    [Fact]
    public void A_statement_cannot_be_withdrawn_twice_nor_before_it_was_made()
    {
        var ledger = new SpecLedger()
            .Record(Document(Finding("f1", "2025-05-15", "a1", "no-evidence")), Now)
            .Record(Document(Withdrawal("w1", "2025-06-01", "f1")), Now);

        Assert.Equal("withdraws", Assert.Single(ledger.Decide(Document(Withdrawal("w2", "2025-07-01", "f1")), Now).Errors).Field);
        var early = new SpecLedger().Record(Document(Finding("f1", "2025-05-15", "a1", "no-evidence")), Now);
        Assert.Equal("publishedAt", Assert.Single(early.Decide(Document(Withdrawal("w1", "2025-05-01", "f1")), Now).Errors).Field);
    }

    [Fact]
    public void PublishedAt_may_not_be_later_than_recordedAt_but_a_due_date_may_be_in_the_future()
    {
        var ledger = new SpecLedger();

        var future = ledger.Decide(Document(Finding("f1", "2026-01-11", "a1", "no-evidence")), Now);
        var futureDue = ledger.Decide(Document(Promise("p1", "2026-01-10", "report", "2027-01-01")), Now);

        Assert.Equal("publishedAt", Assert.Single(future.Errors).Field);
        Assert.Empty(futureDue.Errors);
    }

    [Fact]
    public void A_document_is_all_or_nothing()
    {
        var decision = new SpecLedger().Decide(Document(Finding("f1", "2025-05-15", "a1", "no-evidence"), Finding("f2", "2025-05-16", "a1", "maybe")), Now, "bad.json");

        Assert.Empty(decision.Events);
        var error = Assert.Single(decision.Errors);
        Assert.Equal("bad.json: statements[1] (id \"f2\"): field \"findings[0].assessment\": \"maybe\" is not one of substantiated, partially-substantiated, not-substantiated, no-evidence, inconclusive", error.ToString());
    }

    [Fact]
    public void RecordedAt_is_set_by_the_ledger_and_refused_in_input()
    {
        var statement = Statement("s1", "ReviewConcluded", "2025-05-15", "\"recordedAt\":\"2025-05-15\"");

        var decision = new SpecLedger().Decide(Document(statement), Now);

        Assert.Equal("recordedAt", Assert.Single(decision.Errors).Field);
    }

    [Fact]
    public void Unknown_fields_are_refused_by_their_path()
    {
        var statement = Statement("f1", "FindingsDisclosed", "2025-05-15", """
            "stage":"final","findings":[{"allegation":"a1","assessment":"substantiated","sumary":"typo"}]
            """);

        var decision = new SpecLedger().Decide(Document(statement), Now);

        Assert.Equal("findings[0].sumary", Assert.Single(decision.Errors).Field);
    }

    [Fact]
    public void A_correction_is_validated_as_the_statement_it_produces()
    {
        var ledger = new SpecLedger().Record(Document(Promise("p1", "2025-05-15", "report", "2025-07-01")), Now);

        var badDate = ledger.Decide(Document(Correction("c1", "p1", """{"promise.dueBy":"soon"}""")), Now);
        var changedId = ledger.Decide(Document(Correction("c1", "p1", """{"id":"p9"}""")), Now);
        var fine = ledger.Decide(Document(Correction("c1", "p1", """{"promise.dueBy":"2025-08-01"}""")), Now);

        Assert.Equal("changes.promise.dueBy", Assert.Single(badDate.Errors).Field);
        Assert.Equal("changes.id", Assert.Single(changedId.Errors).Field);
        Assert.Empty(fine.Errors);
        Assert.Equal(Now, fine.Events.OfType<EntryCorrected>().Single().PublishedAt);
    }

    [Fact]
    public void An_existing_matter_keeps_its_organization()
    {
        var ledger = new SpecLedger().Record(Document(Finding("f1", "2025-05-15", "a1", "no-evidence")), Now);
        var json = Document(Finding("f2", "2025-05-16", "a1", "no-evidence")).Replace("\"Acme\"", "\"Other\"", StringComparison.Ordinal);

        Assert.Equal("organization", Assert.Single(ledger.Decide(json, Now).Errors).Field);
    }
}
