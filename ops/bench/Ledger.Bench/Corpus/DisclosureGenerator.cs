using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Events;

namespace Ledger.Bench.Corpus;

/// <summary>
/// Deterministic disclosure documents in the format of samples/*.json. Organizations are fictitious on purpose:
/// generated allegations must never read as claims about real companies.
/// </summary>
internal sealed class DisclosureGenerator
{
    public const int DefaultSeed = 20250925;

    private static readonly (string Name, string Slug)[] Organizations =
    [
        ("Contoso Systems", "contoso"), ("Fabrikam Data", "fabrikam"), ("Northwind Cloud", "northwind"),
        ("Tailspin Networks", "tailspin"), ("Adatum Analytics", "adatum"),
    ];

    private static readonly string[] Topics =
    [
        "cloud-contract", "data-retention", "content-moderation", "export-controls", "facial-recognition",
        "supply-chain-audit", "surveillance-review", "privacy-incident", "location-data", "defense-contract",
    ];

    private static readonly string[] Speakers = ["Chief Executive Officer", "President", "General Counsel", "Chief Privacy Officer", "company statement"];
    private static readonly string[] Publishers = ["Daily Ledger", "Tech Review", "Civic Watch", "World Desk", "Rights Monitor"];
    private static readonly string[] Assessments = ["substantiated", "partially-substantiated", "not-substantiated", "no-evidence", "inconclusive"];
    private static readonly string[] Actions = ["terminated", "suspended", "disabled", "restricted", "resumed", "other"];
    private static readonly string[] Services = ["cloud storage", "AI services", "analytics platform", "identity services", "support contracts"];
    private static readonly string[] PositionTopics = ["visibility into customer use", "human rights due diligence", "government contracts", "data access", "transparency"];
    private static readonly DateOnly Epoch = new(2016, 1, 1);

    private readonly Random random;
    private readonly Words words;

    public DisclosureGenerator(int seed = DefaultSeed)
    {
        random = new Random(seed);
        words = new Words(random);
    }

    private sealed record MatterPlan(string Id, string Organization, string Slug, string Title);

    /// <summary>Documents of <paramref name="perDocument"/> statements, dealt round-robin over the matters.</summary>
    public DocumentSet Spread(int statements, int perDocument, int matters)
    {
        var count = (statements + perDocument - 1) / perDocument;
        var plans = Enumerable.Range(0, Math.Min(matters, count)).Select(Matter).ToList();
        var documents = new List<GeneratedDocument>(count);
        for (var d = 0; d < count; d++)
        {
            documents.Add(Document($"d{d:00000}", plans[d % plans.Count], Math.Min(perDocument, statements - (d * perDocument))));
        }

        return new DocumentSet(documents);
    }

    /// <summary>One matter of <paramref name="statements"/> statements in <paramref name="documents"/> documents.</summary>
    public DocumentSet SingleMatter(int statements, int documents)
    {
        var plan = new MatterPlan("contoso/global-cloud-review", "Contoso Systems", "contoso", "Global review of cloud contracts");
        var perDocument = (statements + documents - 1) / documents;
        var list = new List<GeneratedDocument>(documents);
        for (var d = 0; d * perDocument < statements; d++)
        {
            list.Add(Document($"big{d:000}", plan, Math.Min(perDocument, statements - (d * perDocument))));
        }

        return new DocumentSet(list);
    }

    private static MatterPlan Matter(int index)
    {
        var (name, slug) = Organizations[index % Organizations.Length];
        var topic = Topics[index / Organizations.Length % Topics.Length];
        return new MatterPlan($"{slug}/{topic}-{index:000}", name, slug, $"Review of {topic.Replace('-', ' ')} ({index})");
    }

    private GeneratedDocument Document(string name, MatterPlan matter, int statements)
    {
        var buffer = new ArrayBufferWriter<byte>(statements * 1200);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("matter", matter.Id);
            w.WriteString("organization", matter.Organization);
            w.WriteString("title", matter.Title);
            w.WriteStartArray("statements");
            for (var i = 0; i < statements; i++)
            {
                Statement(w, matter, $"{matter.Slug}-{name}-{i:000}");
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return new GeneratedDocument(name, matter.Id, Encoding.UTF8.GetString(buffer.WrittenSpan), statements);
    }

    /// <summary>A mix weighted like real matters: many allegations and positions, fewer findings, actions and promises.</summary>
    private void Statement(Utf8JsonWriter w, MatterPlan matter, string id)
    {
        var roll = random.Next(100);
        var type = roll < 25 ? EventTypes.AllegationReported : roll < 45 ? EventTypes.FindingsDisclosed : roll < 60 ? EventTypes.ActionTaken : roll < 85 ? EventTypes.PositionStated : EventTypes.DisclosurePromised;
        var published = Epoch.AddDays(random.Next(3200));
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("type", type);
        w.WriteString("publishedAt", random.Next(10) < 7
            ? published.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : $"{published:yyyy-MM-dd}T{random.Next(24):00}:{random.Next(60):00}:00Z");
        var publisher = Pick(Publishers);
        if (type != EventTypes.AllegationReported)
        {
            w.WriteStartObject("speaker");
            w.WriteString("name", random.Next(3) == 0 ? matter.Organization : $"Executive {random.Next(1, 40)}");
            w.WriteString("role", Pick(Speakers));
            w.WriteEndObject();
            publisher = matter.Organization;
        }

        w.WriteStartObject("source");
        w.WriteString("url", $"https://news.example.org/{published.Year}/{published.Month:00}/{matter.Slug}-{id}");
        w.WriteString("title", words.Text(30, 90));
        w.WriteString("publisher", publisher);
        if (random.Next(10) < 3)
        {
            w.WriteString("note", words.Text(40, 120));
        }

        w.WriteEndObject();
        w.WriteString("quote", words.Text(160, 480));
        switch (type)
        {
            case EventTypes.AllegationReported:
                w.WriteStartObject("allegation");
                w.WriteString("id", Allegation());
                w.WriteString("summary", words.Text(60, 160));
                w.WriteEndObject();
                w.WriteString("reportedBy", publisher);
                break;
            case EventTypes.FindingsDisclosed:
                w.WriteString("stage", random.Next(3) == 0 ? "final" : "interim");
                w.WriteStartArray("findings");
                for (var f = random.Next(1, 4); f > 0; f--)
                {
                    w.WriteStartObject();
                    w.WriteString("allegation", Allegation());
                    // The pool is drawn at random: a finding may come before any report of its allegation.
                    w.WriteBoolean("newAllegation", true);
                    w.WriteString("assessment", Pick(Assessments));
                    w.WriteString("summary", words.Text(50, 140));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case EventTypes.ActionTaken:
                w.WriteString("action", Pick(Actions));
                w.WriteStartArray("services");
                foreach (var service in Services.Where(_ => random.Next(3) == 0).DefaultIfEmpty(Services[0]))
                {
                    w.WriteStringValue(service);
                }

                w.WriteEndArray();
                w.WriteString("counterparty", $"Agency {random.Next(1, 30)}");
                w.WriteStartArray("exclusions");
                if (random.Next(2) == 0)
                {
                    w.WriteStringValue(words.Text(40, 120));
                }

                w.WriteEndArray();
                break;
            case EventTypes.PositionStated:
                w.WriteString("topic", Pick(PositionTopics));
                w.WriteString("position", words.Text(60, 200));
                break;
            default:
                w.WriteStartObject("promise");
                w.WriteString("id", $"promise-{id}");
                w.WriteString("what", words.Text(40, 120));
                w.WriteString("dueBy", published.AddDays(random.Next(30, 180)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteString("dueText", "in the coming weeks");
                w.WriteEndObject();
                break;
        }

        w.WriteEndObject();
    }

    /// <summary>A bounded pool per matter, so findings mostly assess allegations that were reported.</summary>
    private string Allegation() => $"allegation-{random.Next(40):00}";

    private string Pick(string[] choices) => choices[random.Next(choices.Length)];
}
