using System.Text.Json.Nodes;
using Ledger.Diffing;
using Ledger.Projections;
using static Ledger.Specs.SpecLedger;

namespace Ledger.Specs;

/// <summary>The reference sample recorded one statement per document, forward and in reverse: the fold does not care.</summary>
public class RecordingOrderSpecs
{
    [Fact]
    public void Status_as_of_a_time_does_not_depend_on_the_order_statements_were_recorded_in()
    {
        // One document per statement. Only the finding on the reported allegation references another statement: the
        // report is recorded first in both orders, and every other order is valid.
        var sample = JsonNode.Parse(File.ReadAllText(Ledger.Testing.Checkout.SampleFile))!.AsObject();
        var documents = sample["statements"]!.AsArray().Select(statement => new JsonObject
        {
            ["matter"] = sample["matter"]!.DeepClone(),
            ["organization"] = sample["organization"]!.DeepClone(),
            ["title"] = sample["title"]!.DeepClone(),
            ["statements"] = new JsonArray(statement!.DeepClone()),
        }.ToJsonString()).ToList();
        Assert.Equal(7, documents.Count);
        var report = documents.Single(d => d.Contains("\"AllegationReported\"", StringComparison.Ordinal));
        var forward = RecordOneByOne([report, .. documents.Where(d => d != report)]);
        var reverse = RecordOneByOne([report, .. Enumerable.Reverse(documents).Where(d => d != report)]);
        var matter = (string)sample["matter"]!;

        var latest = Both(forward, reverse, matter, "2026-01-01");
        Assert.Equal(7, (int)latest["statements"]!);
        Assert.Equal("action-taken", (string?)latest["phase"]);

        var beforeFindings = Both(forward, reverse, matter, "2025-09-01");
        Assert.Equal("ongoing", (string?)beforeFindings["review"]!["status"]);
        Assert.Empty(beforeFindings["actions"]!.AsArray());
        Assert.Equal(4, (int)beforeFindings["statements"]!);
    }

    [Theory]
    [InlineData("ReviewLaunched", "FindingsDisclosed", "findings-disclosed")]
    [InlineData("ActionTaken", "FindingsDisclosed", "action-taken")]
    [InlineData("ReviewConcluded", "ActionTaken", "concluded")]
    [InlineData("AllegationReported", "ReviewLaunched", "under-review")]
    public void On_equal_publication_times_the_phase_takes_the_milestone_further_along_whatever_the_recording_order(string first, string second, string phase)
    {
        string Milestone(string type) => Statement(type.ToLowerInvariant(), type, "2025-09-25T10:00:00Z", type switch
        {
            "AllegationReported" => "\"allegation\":{\"id\":\"a1\"}",
            "FindingsDisclosed" => "\"stage\":\"interim\",\"findings\":[{\"allegation\":\"a1\",\"newAllegation\":true,\"assessment\":\"substantiated\"}]",
            "ActionTaken" => "\"action\":\"terminated\"",
            _ => string.Empty,
        });

        var inOrder = RecordOneByOne([Document(Milestone(first)), Document(Milestone(second))]);
        var reversed = RecordOneByOne([Document(Milestone(second)), Document(Milestone(first))]);
        var together = new SpecLedger().Record(Document(Milestone(second), Milestone(first)), At("2026-01-10T12:00:00Z"));

        Assert.Equal(phase, inOrder.Status("2025-09-25T10:00:00Z").Phase);
        Assert.Equal(phase, reversed.Status("2025-09-25T10:00:00Z").Phase);
        Assert.Equal(phase, together.Status("2025-09-25T10:00:00Z").Phase);
    }

    // Each document recorded a minute after the previous one, as separate imports would be.
    private static SpecLedger RecordOneByOne(IEnumerable<string> documents)
    {
        var ledger = new SpecLedger();
        var now = At("2026-01-10T12:00:00Z");
        foreach (var document in documents)
        {
            ledger.Record(document, now);
            now = now.AddMinutes(1);
        }

        return ledger;
    }

    private static JsonNode Both(SpecLedger forward, SpecLedger reverse, string matter, string asOf)
    {
        var a = Json(MatterViews.Status(forward.Timeline(matter: matter), At(asOf)));
        var b = Json(MatterViews.Status(reverse.Timeline(matter: matter), At(asOf)));
        Assert.True(JsonPatch.DeepEquals(a, b), $"status as of {asOf} recorded forward and in reverse differ:\n{Text(a)}\n{Text(b)}");
        return a;
    }
}
