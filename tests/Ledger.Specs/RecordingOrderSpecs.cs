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
        // One document per statement; no statement of the sample references another, so any order is valid.
        var sample = JsonNode.Parse(File.ReadAllText(Ledger.Testing.Checkout.SampleFile))!.AsObject();
        var documents = sample["statements"]!.AsArray().Select(statement => new JsonObject
        {
            ["matter"] = sample["matter"]!.DeepClone(),
            ["organization"] = sample["organization"]!.DeepClone(),
            ["title"] = sample["title"]!.DeepClone(),
            ["statements"] = new JsonArray(statement!.DeepClone()),
        }.ToJsonString()).ToList();
        Assert.Equal(7, documents.Count);
        var forward = RecordOneByOne(documents);
        var reverse = RecordOneByOne(Enumerable.Reverse(documents));
        var matter = (string)sample["matter"]!;

        var latest = Both(forward, reverse, matter, "2026-01-01");
        Assert.Equal(7, (int)latest["statements"]!);
        Assert.Equal("action-taken", (string?)latest["phase"]);

        var beforeFindings = Both(forward, reverse, matter, "2025-09-01");
        Assert.Equal("ongoing", (string?)beforeFindings["review"]!["status"]);
        Assert.Empty(beforeFindings["actions"]!.AsArray());
        Assert.Equal(4, (int)beforeFindings["statements"]!);
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
