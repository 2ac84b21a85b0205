using Ledger.Events;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

/// <summary>A finding names an allegation the matter has heard of, or says explicitly that it introduces a new one.</summary>
public class AllegationReferenceSpecs
{
    private static readonly DateTimeOffset Now = At("2026-01-10T12:00:00Z");

    private static string Reported(string id, string allegation) =>
        Statement(id, "AllegationReported", "2025-08-06", $$"""
            "allegation":{"id":"{{allegation}}","summary":"reported"}
            """);

    private static string Assessed(string id, string allegation, bool introduces = false) =>
        Statement(id, "FindingsDisclosed", "2025-09-25", $$"""
            "stage":"interim","findings":[{"allegation":"{{allegation}}",{{(introduces ? "\"newAllegation\":true," : string.Empty)}}"assessment":"substantiated"}]
            """);

    [Fact]
    public void A_finding_naming_an_allegation_never_reported_is_refused_with_the_whole_document()
    {
        var ledger = new SpecLedger().Record(Document(Reported("r1", "protest-identification")), Now);

        var decision = ledger.Decide(Document(Statement("p1", "PositionStated", "2025-09-25", "\"topic\":\"t\",\"position\":\"p\""), Assessed("f1", "protest-identifcation")), Now, "typo.json");

        Assert.Empty(decision.Events);
        var error = Assert.Single(decision.Errors);
        Assert.Equal("findings[0].allegation", error.Field);
        Assert.StartsWith("typo.json: statements[1] (id \"f1\"): field \"findings[0].allegation\": \"protest-identifcation\" is not an allegation of matter acme/data-review (reported: protest-identification)", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"newAllegation\": true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_finding_of_a_reported_allegation_is_recorded_whether_the_report_came_before_or_later_in_the_same_document()
    {
        var earlier = new SpecLedger().Record(Document(Reported("r1", "storage")), Now);
        var together = new SpecLedger();

        Assert.Empty(earlier.Decide(Document(Assessed("f1", "storage")), Now).Errors);
        Assert.Empty(together.Decide(Document(Assessed("f1", "storage"), Reported("r1", "storage")), Now).Errors);
    }

    [Fact]
    public void A_finding_declared_new_records_the_allegation_and_later_findings_may_name_it()
    {
        var ledger = new SpecLedger().Record(Document(Assessed("f1", "targeting", introduces: true)), Now);

        var later = ledger.Decide(Document(Assessed("f2", "targeting")), Now);

        Assert.Empty(later.Errors);
        var finding = Assert.IsType<FindingsDisclosed>(ledger.Events[1].Event).Findings.Single();
        Assert.True(finding.NewAllegation);
        Assert.Equal(["targeting:substantiated"], ledger.Status("2025-10-01").Allegations.Select(a => $"{a.Id}:{a.Assessment}"));
    }

    [Fact]
    public void A_correction_cannot_point_a_finding_at_an_allegation_never_reported()
    {
        var ledger = new SpecLedger().Record(Document(Reported("r1", "storage"), Assessed("f1", "storage")), Now);

        var decision = ledger.Decide(Document(Correction("c1", "f1", """{"findings":[{"allegation":"storgae","assessment":"substantiated"}]}""")), Now);

        Assert.Equal(["changes.findings[0].allegation"], decision.Errors.Select(e => e.Field));
    }

    [Fact]
    public void The_marker_must_be_a_boolean()
    {
        var json = Document(Statement("f1", "FindingsDisclosed", "2025-09-25", """
            "stage":"interim","findings":[{"allegation":"a","newAllegation":"yes","assessment":"substantiated"}]
            """));

        var decision = new SpecLedger().Decide(json, Now);

        Assert.Equal(["findings[0].newAllegation"], decision.Errors.Select(e => e.Field));
    }
}
