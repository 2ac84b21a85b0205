using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Matters;
using Ledger.Projections;
using Ledger.Storage;

namespace Ledger.Specs;

/// <summary>
/// A pure, in-memory stand-in for the append path: it runs the real validation and decision on documents and keeps
/// the decided events with global positions, so specs can state "given these recordings, when ..., then ...".
/// </summary>
public sealed class SpecLedger
{
    public const string Matter = "acme/data-review";

    private readonly List<Recorded> recorded = [];

    public IReadOnlyList<Recorded> Events => recorded;

    public static DateTimeOffset At(string text) => Timestamps.TryParse(text, out var at) ? at : throw new ArgumentException(text);

    /// <summary>A document for the spec matter; the first one recorded opens it.</summary>
    public static string Document(params string[] statements) => DocumentFor(Matter, statements);

    public static string DocumentFor(string matter, params string[] statements) =>
        $$"""{"matter":"{{matter}}","organization":"Acme","title":"Acme data review","statements":[{{string.Join(",", statements)}}]}""";

    public static string Statement(string id, string type, string publishedAt, string fields = "") =>
        $$"""{"id":"{{id}}","type":"{{type}}","publishedAt":"{{publishedAt}}","source":{"url":"https://example.org/{{id}}"},"quote":"Quote of {{id}}."{{(fields.Length > 0 ? "," + fields : string.Empty)}}}""";

    /// <summary>A finding that may introduce its allegation: specs of other rules need no AllegationReported first.</summary>
    public static string Finding(string id, string publishedAt, string allegation, string assessment) =>
        Statement(id, "FindingsDisclosed", publishedAt, $$"""
            "stage":"interim","findings":[{"allegation":"{{allegation}}","newAllegation":true,"assessment":"{{assessment}}"}]
            """);

    public static string Promise(string id, string publishedAt, string promise, string dueBy) =>
        Statement(id, "DisclosurePromised", publishedAt, $$"""
            "promise":{"id":"{{promise}}","what":"the report","dueBy":"{{dueBy}}","dueText":"in the coming weeks"}
            """);

    public static string Delivery(string id, string publishedAt, string promise) =>
        Statement(id, "DisclosureDelivered", publishedAt, $$"""
            "promise":"{{promise}}","summary":"published"
            """);

    public static string Withdrawal(string id, string publishedAt, string withdraws) =>
        Statement(id, "StatementWithdrawn", publishedAt, $$"""
            "withdraws":"{{withdraws}}","reason":"retracted"
            """);

    public static string Correction(string id, string corrects, string changes) =>
        $$"""{"id":"{{id}}","type":"EntryCorrected","corrects":"{{corrects}}","changes":{{changes}},"reason":"recording error"}""";

    /// <summary>Validates and decides a document as the handler would; returns the decision without recording it.</summary>
    public ImportDecision Decide(string json, DateTimeOffset now, string file = "doc.json")
    {
        var errors = new List<InputError>();
        var raw = DisclosureReader.Read(file, json, errors);
        var documents = raw.Select(r => ImportDocument.Read(r, "spec", errors)).ToList();
        if (errors.Count > 0)
        {
            return new ImportDecision([], [], errors);
        }

        var document = Assert.Single(documents)!;
        var state = recorded.Where(r => r.Event.Matter == document.Matter).Select(r => r.Event).Aggregate(MatterState.Initial(document.Matter), MatterState.Evolve);
        var known = recorded.Select(r => r.Event).OfType<Statement>().ToDictionary(s => s.StatementId);
        return ImportDocument.Decide(document, new ImportState(state, known), now);
    }

    /// <summary>Records a document at a recording time; fails the spec if the ledger refuses it.</summary>
    public SpecLedger Record(string json, DateTimeOffset now)
    {
        var decision = Decide(json, now);
        Assert.True(decision.Errors.Count == 0, string.Join("\n", decision.Errors));
        foreach (var e in decision.Events)
        {
            recorded.Add(new Recorded(recorded.Count + 1, e));
        }

        return this;
    }

    public SpecLedger Record(string json, string now) => Record(json, At(now));

    public MatterTimeline Timeline(DateTimeOffset? knownAt = null, string matter = Matter) =>
        MatterTimeline.Build(recorded.Where(r => r.Event.Matter == matter), knownAt) ?? throw new InvalidOperationException("matter not opened");

    public MatterStatus Status(string asOf, string? knownAt = null) =>
        MatterViews.Status(Timeline(knownAt is null ? null : At(knownAt)), At(asOf));

    public static JsonNode Json(MatterStatus status) => MatterHistory.ToJson(status);

    public static string Text(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
