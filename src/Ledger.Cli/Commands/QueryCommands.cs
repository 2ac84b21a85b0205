using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Importing;
using Ledger.Projections;
using Ledger.Projections.ReadModels;
using Spectre.Console;

namespace Ledger.Cli.Commands;

public static class QueryCommands
{
    public static void AddMattersCommand(this RootCommand root)
    {
        var (limit, after) = (CliOptions.Limit(), CliOptions.After());
        var organization = new Option<string?>("--organization") { Description = "Only this organization's matters" };
        var phase = new Option<string?>("--phase") { Description = "Only matters in this phase (e.g. under-review)" };
        var overdue = new Option<bool>("--overdue") { Description = "Only matters with an overdue promise" };
        var asOf = CliOptions.AsOf();
        var knownAt = CliOptions.KnownAt();
        var command = new Command("matters", "List the matters in the ledger, newest first, with their phase and overdue promises, a page at a time")
        {
            limit, after, organization, phase, overdue, asOf, knownAt,
        };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var time = context.ReadTime(asOf, knownAt);
            var page = await context.Queries.MattersAsync(
                new MatterQuery(context.Limit(limit), context.Value(after), context.Value(organization), context.Value(phase), context.Value(overdue) ? time.Today : null),
                time,
                cancellationToken);
            var rows = page.Items.Select(r => r.Render(time.Today)).ToList();
            if (context.Json)
            {
                Printer.Json(new { items = rows, next = page.Next, position = page.Position });
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("matter", "organization", "title", "phase", "statements", "last published", "overdue");
            foreach (var r in rows)
            {
                table.AddRow(Printer.Cell(r.Matter), Printer.Cell(r.Organization), Printer.Cell(r.Title), r.Phase, r.Statements.ToString(), Printer.Date(r.LastPublishedAt),
                    r.OverduePromises > 0 ? $"[bold red]{r.OverduePromises}[/]" : "0");
            }

            Printer.Table(table, "no matters");
            Printer.NextPage(page.Next);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddStatusCommand(this RootCommand root)
    {
        var matter = new Argument<string>("matter") { Description = "The matter, e.g. microsoft/imod-azure" };
        var asOf = CliOptions.AsOf();
        var knownAt = CliOptions.KnownAt();
        var command = new Command("status", "The status of a matter, as of a publication time and as known at a recording time") { matter, asOf, knownAt };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var time = context.ReadTime(asOf, knownAt);
            var a = time.AsOf;
            var status = (await context.Queries.StatusAsync(context.Value(matter)!, time, cancellationToken)).Value;
            if (context.Json)
            {
                Printer.Json(status);
            }
            else
            {
                Printer.Status(status, a);
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddHistoryCommand(this RootCommand root)
    {
        var matter = new Argument<string>("matter") { Description = "The matter" };
        var from = new Option<string?>("--from") { Description = "Compare from this revision (0: the empty start; n: after the n-th statement in publication order) or publication date" };
        var to = new Option<string?>("--to") { Description = "Compare up to this revision or publication date (default: the latest)" };
        var knownAt = CliOptions.KnownAt();
        var command = new Command("history", "A matter's statements in publication order with the change each made; or the change between two points") { matter, from, to, knownAt };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            DateTimeOffset? k = context.Value(knownAt) is { } text
                ? Timestamps.TryParseQueryTime(text, out var at) ? at : throw new UsageException($"--known-at: \"{text}\" is not a date or timestamp")
                : null;
            var timeline = await context.Queries.TimelineAsync(context.Value(matter)!, k, cancellationToken);
            if (context.Value(from) is null && context.Value(to) is null)
            {
                var entries = MatterHistory.Build(timeline, k ?? context.Clock.GetUtcNow());
                if (context.Json)
                {
                    Printer.Json(new { matter = timeline.Matter, organization = timeline.Organization, title = timeline.Title, entries });
                }
                else
                {
                    Printer.History(entries);
                }

                return ExitCodes.Ok;
            }

            var comparison = MatterHistory.Compare(timeline, Point(context.Value(from) ?? "0"), Point(context.Value(to) ?? timeline.Entries.Count.ToString()));
            if (context.Json)
            {
                Printer.Json(comparison);
            }
            else
            {
                Printer.Changes(comparison);
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    private static HistoryPoint Point(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision) ? new HistoryPoint(revision, null)
        : Timestamps.TryParseQueryTime(text, out var at) ? new HistoryPoint(0, at)
        : throw new UsageException($"\"{text}\" is neither a revision number nor a date");

    public static void AddDiffCommand(this RootCommand root)
    {
        var first = new Argument<string>("from") { Description = "The earlier statement's id" };
        var second = new Argument<string>("to") { Description = "The later statement's id" };
        var command = new Command("diff", "A word-level diff of the wording of two statements") { first, second };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var a = await context.Queries.StatementAsync(context.Value(first)!, cancellationToken);
            var b = await context.Queries.StatementAsync(context.Value(second)!, cancellationToken);
            var comparison = MatterHistory.CompareWording(a, b);
            if (context.Json)
            {
                Printer.Json(comparison);
            }
            else
            {
                Printer.Wording(comparison);
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddPromisesCommand(this RootCommand root)
    {
        var (limit, after) = (CliOptions.Limit(), CliOptions.After());
        var overdue = new Option<bool>("--overdue") { Description = "Only promises overdue at that time" };
        var status = new Option<string?>("--status") { Description = "Only promises in this status: open, overdue, delivered or withdrawn" };
        var organization = new Option<string?>("--organization") { Description = "Only this organization's promises" };
        var matter = new Option<string?>("--matter") { Description = "Only this matter's promises" };
        var dueBefore = new Option<string?>("--due-before") { Description = "Only promises due before this date (2025-12-31)" };
        var asOf = CliOptions.AsOf();
        var knownAt = CliOptions.KnownAt();
        var command = new Command("promises", "Promises across matters with their status, by due date, a page at a time")
        {
            limit, after, overdue, status, organization, matter, dueBefore, asOf, knownAt,
        };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var time = context.ReadTime(asOf, knownAt);
            string[] states = [PromiseStates.Open, PromiseStates.Overdue, PromiseStates.Delivered, PromiseStates.Withdrawn];
            var wanted = context.Value(overdue) ? PromiseStates.Overdue : context.Value(status);
            if (wanted is not null && !states.Contains(wanted))
            {
                throw new UsageException($"--status: \"{wanted}\" is not one of {string.Join(", ", states)}");
            }

            DateOnly? before = context.Value(dueBefore) is { } text
                ? DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day)
                    ? day
                    : throw new UsageException($"--due-before: \"{text}\" is not a date (2025-12-31)")
                : null;
            var page = await context.Queries.PromisesAsync(
                new PromiseQuery(context.Limit(limit), time.Today, context.Value(after), context.Value(organization), context.Value(matter), wanted, before), time, cancellationToken);
            if (context.Json)
            {
                Printer.Json(new { items = page.Items, next = page.Next, position = page.Position });
                return ExitCodes.Ok;
            }

            Printer.Promises(page.Items.Select(p => (p.Id, p.What, p.DueBy, p.DueText, p.Status, p.DeliveredAt, p.DaysOverdue)), page.Items.Select(p => p.Matter).ToList());
            Printer.NextPage(page.Next);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddOrganizationsCommand(this RootCommand root)
    {
        var (limit, after) = (CliOptions.Limit(), CliOptions.After());
        var asOf = CliOptions.AsOf();
        var knownAt = CliOptions.KnownAt();
        var command = new Command("organizations", "Per organization: matters, and promises delivered on time, late, overdue or open, a page at a time") { limit, after, asOf, knownAt };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var time = context.ReadTime(asOf, knownAt);
            var page = await context.Queries.OrganizationsAsync(new OrganizationQuery(context.Limit(limit), time.Today, context.Value(after)), time, cancellationToken);
            if (context.Json)
            {
                Printer.Json(new { items = page.Items, next = page.Next, position = page.Position });
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("organization", "matters", "promises", "on time", "late", "overdue", "open", "withdrawn");
            foreach (var s in page.Items)
            {
                table.AddRow(Printer.Cell(s.Organization), s.Matters.ToString(), s.Promises.ToString(), s.DeliveredOnTime.ToString(), s.DeliveredLate.ToString(),
                    s.Overdue > 0 ? $"[bold red]{s.Overdue}[/]" : "0", s.Open.ToString(), s.Withdrawn.ToString());
            }

            Printer.Table(table, "no organizations");
            Printer.NextPage(page.Next);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    public static void AddReplayCommand(this RootCommand root)
    {
        var asOf = CliOptions.AsOf();
        var knownAt = CliOptions.KnownAt();
        var command = new Command("replay", "Rebuild every matter's status from the events, as of and known at given times") { asOf, knownAt };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var (a, k) = context.Times(asOf, knownAt);
            var statuses = await context.Queries.AllStatusesAsync(a, k, cancellationToken);
            if (context.Json)
            {
                Printer.Json(new { asOf = a, knownAt = k, matters = statuses });
                return ExitCodes.Ok;
            }

            foreach (var status in statuses)
            {
                Printer.Status(status, a);
            }

            var count = statuses.Count == 1 ? "1 matter" : $"{statuses.Count} matters";
            AnsiConsole.MarkupLineInterpolated($"[grey]{count} replayed as of {Printer.Date(a)}{(k is null ? string.Empty : $", known at {Printer.Date(k.Value)}")}[/]");
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }
}
