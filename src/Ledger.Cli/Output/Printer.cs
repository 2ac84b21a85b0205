using System.Globalization;
using System.Text.Json;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Serialization;
using Spectre.Console;

namespace Ledger.Cli.Output;

/// <summary>Readable renderings for people; JSON goes through <see cref="Json"/> unchanged.</summary>
public static class Printer
{
    public static void Json<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, LedgerJson.Output));

    /// <summary>Text from the ledger as a markup cell: control characters escaped, so that a document cannot move the terminal.</summary>
    public static string Cell(string? text) => Markup.Escape(ControlCharacters.Escape(text));

    /// <summary>Text from the ledger for plain output or interpolated markup (which escapes markup itself).</summary>
    public static string Plain(string? text) => ControlCharacters.Escape(text);

    private static readonly TimeSpan EndOfDay = TimeSpan.FromDays(1) - TimeSpan.FromTicks(1);

    /// <summary>A time for people, in UTC: a bare date for midnight, "(end of day)" for a date asked about, else to the minute or second.</summary>
    public static string Date(DateTimeOffset? at)
    {
        if (at is not { } value)
        {
            return "-";
        }

        var utc = value.ToUniversalTime();
        var day = utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return utc.TimeOfDay == TimeSpan.Zero ? day
            : utc.TimeOfDay == EndOfDay ? $"{day} (end of day, UTC)"
            : utc.ToString(utc.Second == 0 && utc.Millisecond == 0 ? "yyyy-MM-dd HH:mm 'UTC'" : "yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
    }

    /// <summary>The table, or a line saying there is nothing to show instead of an empty grid.</summary>
    public static void Table(Table table, string none)
    {
        if (table.Rows.Count == 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]{none}[/]");
            return;
        }

        AnsiConsole.Write(table);
    }

    public static void Status(MatterStatus s, DateTimeOffset asOf)
    {
        AnsiConsole.Write(new Rule($"[bold]{Cell(s.Matter)}[/]").LeftJustified());
        var facts = new Grid().AddColumn().AddColumn();
        facts.AddRow("[grey]organization[/]", Cell(s.Organization));
        facts.AddRow("[grey]title[/]", Cell(s.Title));
        facts.AddRow("[grey]phase[/]", $"[bold]{s.Phase}[/]");
        facts.AddRow("[grey]review[/]", Cell($"{s.Review.Status}" + (s.Review.Reviewer is null ? string.Empty : $" ({s.Review.Reviewer})")
            + (s.Review.LaunchedAt is null ? string.Empty : $", launched {Date(s.Review.LaunchedAt)}")
            + (s.Review.ConcludedAt is null ? string.Empty : $", concluded {Date(s.Review.ConcludedAt)}")));
        facts.AddRow("[grey]statements[/]", $"{s.Statements} (revision {s.Revision}, last published {Date(s.LastPublishedAt)})");
        facts.AddRow("[grey]as of[/]", Date(asOf));
        AnsiConsole.Write(facts);

        if (s.Allegations.Count > 0)
        {
            var table = new Table().Title("allegations").AddColumns("id", "assessment", "assessed", "summary");
            foreach (var a in s.Allegations)
            {
                table.AddRow(Cell(a.Id), Cell(a.Assessment), Date(a.AssessedAt), Cell(a.Finding ?? a.Summary ?? string.Empty));
            }

            AnsiConsole.Write(table);
        }

        if (s.Actions.Count > 0)
        {
            var table = new Table().Title("actions").AddColumns("taken", "action", "services", "counterparty", "exclusions");
            foreach (var a in s.Actions)
            {
                table.AddRow(Date(a.TakenAt), a.Action, Cell(string.Join(", ", a.Services)), Cell(a.Counterparty ?? "-"), Cell(string.Join("; ", a.Exclusions)));
            }

            AnsiConsole.Write(table);
        }

        if (s.Promises.Count > 0)
        {
            var today = DateOnly.FromDateTime(asOf.UtcDateTime);
            Promises(s.Promises.Select(p => (p.Id, p.What, p.DueBy, p.DueText, p.Status, p.DeliveredAt,
                p.Status == PromiseStates.Overdue ? today.DayNumber - p.DueBy.DayNumber : p.Status == PromiseStates.Delivered ? Lateness.DaysLate(p.DueBy, p.DeliveredAt) : null)));
        }

        if (s.ArchivedSources is { Count: > 0 } sources)
        {
            var table = new Table().Title("archived sources").AddColumns("statement", "quote check");
            foreach (var source in sources)
            {
                table.AddRow(Cell(source.StatementId), source.QuoteFound ? Cell(source.Describe()) : $"[yellow]{Cell(source.Describe())}[/]");
            }

            AnsiConsole.Write(table);
        }
    }

    /// <summary>Promises with their status as people read it ("delivered late (3 d)") and the days they were or are overdue.</summary>
    public static void Promises(IEnumerable<(string Id, string What, DateOnly DueBy, string? DueText, string Status, DateTimeOffset? DeliveredAt, int? DaysOverdue)> promises, IReadOnlyList<string>? matters = null)
    {
        var table = new Table().Title("promises");
        if (matters is not null)
        {
            table.AddColumn("matter");
        }

        table.AddColumns("id", "status", "due by", "days overdue", "words", "delivered", "what");
        var index = 0;
        foreach (var p in promises)
        {
            var status = p.Status == PromiseStates.Overdue ? "[bold red]OVERDUE[/]" : Lateness.Describe(p.Status, p.DueBy, p.DeliveredAt);
            var cells = new List<string>
            {
                Cell(p.Id), status, p.DueBy.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), p.DaysOverdue?.ToString(CultureInfo.InvariantCulture) ?? "-",
                Cell(p.DueText ?? "-"), Date(p.DeliveredAt), Cell(p.What),
            };
            if (matters is not null)
            {
                cells.Insert(0, Cell(matters[index]));
            }

            table.AddRow(cells.ToArray());
            index++;
        }

        Table(table, "no promises");
    }

    /// <summary>Where the next page starts, when there is one.</summary>
    public static void NextPage(string? cursor)
    {
        if (cursor is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]more: add --after {cursor}[/]");
        }
    }

    public static void History(IEnumerable<HistoryEntry> entries)
    {
        foreach (var e in entries)
        {
            var speaker = e.Speaker is null ? string.Empty : $"  ({e.Speaker})";
            AnsiConsole.MarkupLineInterpolated($"[bold]r{e.Revision}[/]  {Date(e.PublishedAt)}  [blue]{e.Type}[/]  {Plain(e.StatementId + speaker)}");
            foreach (var line in e.Changes)
            {
                AnsiConsole.MarkupLineInterpolated($"    - {Plain(line)}");
            }

            if (e.ArchivedSource is { QuoteFound: true } found)
            {
                AnsiConsole.MarkupLineInterpolated($"    [green]{Plain(found.Describe())}[/]");
            }
            else if (e.ArchivedSource is { } missed)
            {
                AnsiConsole.MarkupLineInterpolated($"    [yellow]{Plain(missed.Describe())}[/]");
            }
        }
    }

    public static void Changes(HistoryComparison c)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{Plain(c.Matter)}[/]: revision {c.From.Revision} -> {c.To.Revision}");
        foreach (var line in c.Changes)
        {
            AnsiConsole.MarkupLineInterpolated($"    - {Plain(line)}");
        }

        if (c.Changes.Count == 0)
        {
            AnsiConsole.MarkupLine("    [grey](no change)[/]");
        }
    }

    public static void Wording(WordingComparison w)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{Plain(w.From)}[/] -> [bold]{Plain(w.To)}[/]");
        if (Console.IsOutputRedirected)
        {
            Console.WriteLine(Plain(w.Rendered));
            return;
        }

        foreach (var segment in w.Segments)
        {
            var text = Cell(segment.Text);
            AnsiConsole.Markup(segment.Op switch
            {
                Diffing.DiffOp.Delete => $"[red strikethrough]{text}[/]",
                Diffing.DiffOp.Insert => $"[green underline]{text}[/]",
                _ => text,
            });
        }

        AnsiConsole.WriteLine();
    }
}
