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

    public static string Date(DateTimeOffset? at) => at is { } value
        ? value.TimeOfDay == TimeSpan.Zero && value.Offset == TimeSpan.Zero ? value.ToString("yyyy-MM-dd") : Timestamps.Format(value)
        : "-";

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
        facts.AddRow("[grey]statements[/]", $"{s.Statements} (version {s.Version}, last published {Date(s.LastPublishedAt)})");
        facts.AddRow("[grey]as of[/]", Timestamps.Format(asOf));
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
            Promises(s.Promises.Select(p => (p.Id, p.What, p.DueBy, p.DueText, p.Status, p.DeliveredAt)));
        }
    }

    public static void Promises(IEnumerable<(string Id, string What, DateOnly DueBy, string? DueText, string Status, DateTimeOffset? DeliveredAt)> promises, IReadOnlyList<string>? matters = null)
    {
        var table = new Table().Title("promises");
        if (matters is not null)
        {
            table.AddColumn("matter");
        }

        table.AddColumns("id", "status", "due by", "words", "delivered", "what");
        var index = 0;
        foreach (var p in promises)
        {
            var status = p.Status == PromiseStates.Overdue ? "[bold red]OVERDUE[/]" : p.Status;
            var cells = new List<string> { Cell(p.Id), status, p.DueBy.ToString("yyyy-MM-dd"), Cell(p.DueText ?? "-"), Date(p.DeliveredAt), Cell(p.What) };
            if (matters is not null)
            {
                cells.Insert(0, Cell(matters[index]));
            }

            table.AddRow(cells.ToArray());
            index++;
        }

        AnsiConsole.Write(table);
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
            AnsiConsole.MarkupLineInterpolated($"[bold]v{e.Version}[/]  {Date(e.PublishedAt)}  [blue]{e.Type}[/]  {Plain(e.StatementId + speaker)}");
            foreach (var line in e.Changes)
            {
                AnsiConsole.MarkupLineInterpolated($"    - {Plain(line)}");
            }
        }
    }

    public static void Changes(HistoryComparison c)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{Plain(c.Matter)}[/]: version {c.From.Version} -> {c.To.Version}");
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
