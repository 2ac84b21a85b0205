using System.Globalization;
using Ledger.Events;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Storage;

namespace Ledger.Cli.Output;

/// <summary>
/// RFC 4180 CSV for analysts, one file per view: statements (each with the columns of its type: allegation, findings,
/// action, promise and due date), promises and allegations as they stand now.
/// </summary>
public static class CsvViews
{
    public const string Statements = "statements";
    public const string Promises = "promises";
    public const string Allegations = "allegations";

    private static readonly string[] StatementColumns =
    [
        "position", "matter", "organization", "statement_id", "type", "published_at", "recorded_at", "recorded_by", "speaker", "speaker_role",
        "source_url", "source_title", "source_publisher", "source_note", "quote", "quote_sha256", "archive_sha256",
        "allegation_id", "allegation_summary", "reported_by", "reviewer", "stage", "findings", "action", "services", "counterparty",
        "promise_id", "promise_what", "due_by", "due_text", "delivery_summary", "outcome", "topic", "position_text", "withdraws", "corrects",
    ];

    private static readonly string[] PromiseColumns =
    [
        "matter", "organization", "promise_id", "what", "due_by", "due_text", "status", "days_overdue", "promised_at", "delivered_at", "delivery_summary", "statement_id",
    ];

    private static readonly string[] AllegationColumns =
    [
        "matter", "organization", "allegation_id", "summary", "reported_by", "reported_at", "assessment", "assessed_at", "stage", "finding",
    ];

    public static async Task WriteAsync(string view, CommandContext context, TextWriter writer, CancellationToken cancellationToken)
    {
        var now = context.Clock.GetUtcNow();
        switch (view)
        {
            case Statements:
                await writer.WriteLineAsync(string.Join(',', StatementColumns));
                await foreach (var e in context.Store.ReadAllAsync(1, null, cancellationToken))
                {
                    if (EventEnvelope.ToEvent(e) is Statement s)
                    {
                        await writer.WriteLineAsync(Row(StatementRow(e, s)));
                    }
                }

                break;
            case Promises:
                await writer.WriteLineAsync(string.Join(',', PromiseColumns));
                foreach (var status in await context.Queries.AllStatusesAsync(now, null, cancellationToken))
                {
                    foreach (var p in status.Promises.OrderBy(p => p.DueBy).ThenBy(p => p.Id, StringComparer.Ordinal))
                    {
                        var days = p.Status == PromiseStates.Overdue
                            ? DateOnly.FromDateTime(now.UtcDateTime).DayNumber - p.DueBy.DayNumber
                            : p.Status == PromiseStates.Delivered ? Lateness.DaysLate(p.DueBy, p.DeliveredAt) : null;
                        await writer.WriteLineAsync(Row(
                            status.Matter, status.Organization, p.Id, p.What, Day(p.DueBy), p.DueText, p.Status, days?.ToString(CultureInfo.InvariantCulture),
                            Time(p.PromisedAt), Time(p.DeliveredAt), p.Delivery, p.StatementId));
                    }
                }

                break;
            default:
                await writer.WriteLineAsync(string.Join(',', AllegationColumns));
                foreach (var status in await context.Queries.AllStatusesAsync(now, null, cancellationToken))
                {
                    foreach (var a in status.Allegations)
                    {
                        await writer.WriteLineAsync(Row(
                            status.Matter, status.Organization, a.Id, a.Summary, a.ReportedBy, Time(a.ReportedAt), a.Assessment, Time(a.AssessedAt), a.Stage, a.Finding));
                    }
                }

                break;
        }
    }

    private static string?[] StatementRow(StoredEvent e, Statement s)
    {
        var own = new Dictionary<string, string?>(StringComparer.Ordinal);
        switch (s)
        {
            case AllegationReported r:
                (own["allegation_id"], own["allegation_summary"], own["reported_by"]) = (r.Allegation.Id, r.Allegation.Summary, r.ReportedBy);
                break;
            case ReviewLaunched l:
                own["reviewer"] = l.Reviewer;
                break;
            case FindingsDisclosed f:
                own["stage"] = Vocabulary.Of(f.Stage);
                own["findings"] = string.Join("; ", f.Findings.Select(x => $"{x.Allegation}: {Vocabulary.Of(x.Assessment)}"));
                break;
            case ActionTaken t:
                (own["action"], own["services"], own["counterparty"]) = (Vocabulary.Of(t.Action), string.Join("; ", t.Services), t.Counterparty);
                break;
            case DisclosurePromised p:
                (own["promise_id"], own["promise_what"], own["due_by"], own["due_text"]) = (p.Promise.Id, p.Promise.What, Day(p.Promise.DueBy), p.Promise.DueText);
                break;
            case DisclosureDelivered d:
                (own["promise_id"], own["delivery_summary"]) = (d.Promise, d.Summary);
                break;
            case ReviewConcluded c:
                own["outcome"] = c.Outcome;
                break;
            case PositionStated p:
                (own["topic"], own["position_text"]) = (p.Topic, p.Position);
                break;
            case StatementWithdrawn w:
                own["withdraws"] = w.Withdraws;
                break;
            case EntryCorrected c:
                own["corrects"] = c.Corrects;
                break;
        }

        string?[] common =
        [
            e.Position.ToString(CultureInfo.InvariantCulture), s.Matter, e.Organization, s.StatementId, s.Type, Timestamps.Format(s.PublishedAt), Timestamps.Format(s.RecordedAt), s.RecordedBy,
            s.Speaker?.Name, s.Speaker?.Role, s.Source.Url, s.Source.Title, s.Source.Publisher, s.Source.Note, s.Quote, s.QuoteSha256, s.Source.ArchiveSha256,
        ];
        return [.. common, .. StatementColumns.Skip(common.Length).Select(column => own.GetValueOrDefault(column))];
    }

    private static string? Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string? Time(DateTimeOffset? at) => at is { } value ? Timestamps.Format(value) : null;

    private static string Row(params string?[] values) => string.Join(',', values.Select(Quote));

    private static string Quote(string? value)
    {
        if (value is null)
        {
            return string.Empty;
        }

        // A spreadsheet runs a cell starting with one of these as a formula: the apostrophe makes it text (OWASP's advice).
        value = ControlCharacters.Escape(value);
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
