using System.Text.Json;
using Ledger.Events;

namespace Ledger.Importing;

/// <summary>
/// Turns one statement of a disclosure document into its event, not yet stamped with the recording time and actor.
/// Pure: the same parser re-reads corrected statements in the projections.
/// </summary>
public static class StatementParser
{
    private static readonly string[] LedgerSetFields = ["recordedAt", "recordedBy"];

    public static readonly IReadOnlyDictionary<string, Assessment> Assessments = Choices<Assessment>();
    public static readonly IReadOnlyDictionary<string, FindingStage> Stages = Choices<FindingStage>();
    public static readonly IReadOnlyDictionary<string, ActionKind> Actions = Choices<ActionKind>();

    /// <summary>Parses a statement; returns null and reports through <paramref name="report"/> (field, message) when it is invalid.</summary>
    public static Statement? Parse(JsonElement element, string matter, Action<string, string> report)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            report("(statement)", "must be an object");
            return null;
        }

        var errors = 0;
        void Count(string field, string message)
        {
            errors++;
            report(field, message);
        }

        var f = new JsonFields(element, string.Empty, Count);
        var id = f.Identifier("id", required: true);
        var type = f.Text("type", required: true);
        if (type is not null && !EventTypes.StatementTypes.Contains(type))
        {
            f.Error("type", $"\"{type}\" is not one of {string.Join(", ", EventTypes.StatementTypes)}");
            type = null;
        }

        foreach (var ledgerField in LedgerSetFields)
        {
            if (f.Raw(ledgerField) is not null)
            {
                f.Error(ledgerField, "is set by the ledger when it stores the statement, never taken from input");
            }
        }

        var isCorrection = type == EventTypes.EntryCorrected;
        var publishedAt = f.Timestamp("publishedAt", required: !isCorrection);
        var speaker = ReadSpeaker(f.Object("speaker"));
        var source = ReadSource(f.Object("source", required: !isCorrection));
        var quote = f.Text("quote", required: !isCorrection) ?? string.Empty;
        if (f.Text("quoteSha256") is { } givenHash && !string.Equals(givenHash, Hashing.Sha256Hex(quote), StringComparison.OrdinalIgnoreCase))
        {
            f.Error("quoteSha256", "does not match the SHA-256 of the quote; leave it out and the ledger computes it");
        }

        if (type is null || id is null)
        {
            f.RefuseUnknown();
            return null;
        }

        var c = new Common(id, matter, publishedAt ?? default, speaker, source ?? new Source(null, null, null, null, null, null), quote, Hashing.Sha256Hex(quote));
        Statement? statement = type switch
        {
            EventTypes.AllegationReported => AllegationReported(f, c),
            EventTypes.ReviewLaunched => new ReviewLaunched(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
                f.Text("reviewer"), f.Text("scope"), f.TextList("principles")),
            EventTypes.FindingsDisclosed => FindingsDisclosed(f, c),
            EventTypes.ActionTaken => ActionTaken(f, c),
            EventTypes.DisclosurePromised => DisclosurePromised(f, c),
            EventTypes.DisclosureDelivered => new DisclosureDelivered(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
                f.Identifier("promise", required: true) ?? string.Empty, f.Text("summary")),
            EventTypes.ReviewConcluded => new ReviewConcluded(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
                f.Text("outcome")),
            EventTypes.PositionStated => new PositionStated(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
                f.Text("topic", required: true) ?? string.Empty, f.Text("position", required: true) ?? string.Empty),
            EventTypes.StatementWithdrawn => new StatementWithdrawn(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
                f.Identifier("withdraws", required: true) ?? string.Empty, f.Text("reason")),
            EventTypes.EntryCorrected => EntryCorrected(f, c),
            _ => null,
        };

        f.RefuseUnknown();
        return errors == 0 ? statement : null;
    }

    private sealed record Common(string Id, string Matter, DateTimeOffset PublishedAt, Speaker? Speaker, Source Source, string Quote, string QuoteSha256);

    private static AllegationReported AllegationReported(JsonFields f, Common c)
    {
        var allegation = f.Object("allegation", required: true);
        var reference = new AllegationRef(allegation?.Identifier("id", required: true) ?? string.Empty, allegation?.Text("summary"));
        allegation?.RefuseUnknown();
        return new AllegationReported(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
            reference, f.Text("reportedBy"));
    }

    private static FindingsDisclosed FindingsDisclosed(JsonFields f, Common c)
    {
        var stage = f.Choice("stage", Stages, required: true);
        var findings = new List<Finding>();
        foreach (var item in f.Objects("findings", required: true))
        {
            var allegation = item.Identifier("allegation", required: true);
            var assessment = item.Choice("assessment", Assessments, required: true);
            var summary = item.Text("summary");
            var introduces = item.Flag("newAllegation");
            item.RefuseUnknown();
            if (allegation is not null && assessment is { } a)
            {
                findings.Add(new Finding(allegation, a, summary, introduces));
            }
        }

        return new FindingsDisclosed(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
            stage ?? FindingStage.Interim, findings);
    }

    private static ActionTaken ActionTaken(JsonFields f, Common c) =>
        new(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
            f.Choice("action", Actions, required: true) ?? ActionKind.Other, f.TextList("services"), f.Text("counterparty"), f.TextList("exclusions"));

    private static DisclosurePromised DisclosurePromised(JsonFields f, Common c)
    {
        var promise = f.Object("promise", required: true);
        var terms = new PromiseTerms(
            promise?.Identifier("id", required: true) ?? string.Empty,
            promise?.Text("what", required: true) ?? string.Empty,
            promise?.Date("dueBy", required: true) ?? default,
            promise?.Text("dueText"));
        promise?.RefuseUnknown();
        return new DisclosurePromised(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256, terms);
    }

    private static EntryCorrected EntryCorrected(JsonFields f, Common c)
    {
        var corrects = f.Identifier("corrects", required: true) ?? string.Empty;
        var reason = f.Text("reason", required: true) ?? string.Empty;
        var changes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (f.Raw("changes", required: true) is { } raw)
        {
            if (raw.ValueKind != JsonValueKind.Object)
            {
                f.Error("changes", "must be an object of field names and new values");
            }
            else
            {
                foreach (var change in raw.EnumerateObject())
                {
                    changes[change.Name] = change.Value.Clone();
                }

                if (changes.Count == 0)
                {
                    f.Error("changes", "must name at least one field");
                }
            }
        }

        return new EntryCorrected(c.Id, c.Matter, c.PublishedAt, default, string.Empty, c.Speaker, c.Source, c.Quote, c.QuoteSha256,
            corrects, changes, reason);
    }

    private static Speaker? ReadSpeaker(JsonFields? f)
    {
        if (f is null)
        {
            return null;
        }

        var speaker = new Speaker(f.Text("name", required: true) ?? string.Empty, f.Text("role"));
        f.RefuseUnknown();
        return speaker;
    }

    private static Source? ReadSource(JsonFields? f)
    {
        if (f is null)
        {
            return null;
        }

        var url = f.Text("url");
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            f.Error("url", $"\"{url}\" is not an absolute http(s) URL");
        }

        var title = f.Text("title");
        if (url is null && title is null)
        {
            f.Error("url", "a source needs a url or a title");
        }

        var archiveSha256 = f.Text("archiveSha256");
        if (archiveSha256 is not null && (archiveSha256.Length != 64 || !archiveSha256.All(Uri.IsHexDigit)))
        {
            f.Error("archiveSha256", "must be 64 hexadecimal digits (a SHA-256)");
        }

        var source = new Source(url, title, f.Text("publisher"), f.Text("note"), f.Text("archive"), archiveSha256?.ToLowerInvariant());
        f.RefuseUnknown();
        return source;
    }

    private static Dictionary<string, T> Choices<T>()
        where T : struct, Enum =>
        Enum.GetValues<T>().ToDictionary(v => JsonSerializer.Serialize(v).Trim('"'), v => v, StringComparer.Ordinal);
}
