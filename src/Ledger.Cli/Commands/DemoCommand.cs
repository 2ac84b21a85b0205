using System.CommandLine;
using System.Reflection;
using Ledger.Cli.Hosting;
using Ledger.Cli.Output;
using Ledger.Importing;
using Ledger.Messaging.Hosting;
using Ledger.Messaging.Importing;
using Ledger.Projections;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Wolverine;

namespace Ledger.Cli.Commands;

public static class DemoCommand
{
    public const string SampleMatter = "microsoft/imod-azure";

    public static void AddDemoCommand(this RootCommand root)
    {
        var command = new Command("demo", "Load the reference case (Microsoft's 2025 review of IMOD's use of Azure) into a fresh ledger and show it");
        command.SetStoreAction(
            (context, cancellationToken) => RunAsync(context, Location(context.Parse), cancellationToken),
            Location);
        root.Subcommands.Add(command);
    }

    /// <summary>A fresh temporary ledger unless --store names one; the same path for the whole invocation.</summary>
    private static string Location(ParseResult parse) =>
        parse.GetValue(CliOptions.Store) ?? FreshLocations.GetValue(parse, _ => $"sqlite:{Path.Combine(Path.GetTempPath(), $"ledger-demo-{Guid.NewGuid():N}.db")}");

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ParseResult, string> FreshLocations = [];

    public static IEnumerable<(string Name, string Text)> Samples()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("samples/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name, reader.ReadToEnd());
        }
    }

    private static async Task<int> RunAsync(CommandContext context, string location, CancellationToken cancellationToken)
    {
        var errors = new List<InputError>();
        var documents = Samples().SelectMany(s => DocumentFiles.Parse(s.Name, s.Text, "ledger demo", errors)).ToList();
        if (errors.Count > 0)
        {
            errors.ForEach(e => Console.Error.WriteLine($"error: {e}"));
            return ExitCodes.InvalidInput;
        }

        ImportResult result;
        using (var host = MessagingHost.Build(context, MessagingRole.Commands))
        {
            await host.StartAsync(cancellationToken);
            result = await host.Services.GetRequiredService<IMessageBus>().InvokeAsync<ImportResult>(new ImportDocuments(documents), cancellationToken, Timeout.InfiniteTimeSpan);
            await host.StopAsync(CancellationToken.None);
        }

        var now = context.Clock.GetUtcNow();
        var timeline = await context.Queries.TimelineAsync(SampleMatter, null, cancellationToken);
        var status = MatterViews.Status(timeline, now);
        var history = MatterHistory.Build(timeline, now);
        var overdue = status.Promises.Where(p => p.Status == PromiseStates.Overdue).ToList();
        if (context.Json)
        {
            Printer.Json(new { store = location, appended = result.Appended, status, history, overdue });
            return ExitCodes.Ok;
        }

        AnsiConsole.MarkupLineInterpolated($"[grey]Loaded {result.Appended} statements ({result.AlreadyPresent} already present) into {location}[/]");
        Printer.Status(status, now);
        AnsiConsole.Write(new Rule("[bold]history[/]").LeftJustified());
        Printer.History(history);
        AnsiConsole.Write(new Rule("[bold]overdue promises[/]").LeftJustified());
        foreach (var p in overdue)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold red]OVERDUE[/] {p.Id}: {p.What}; due {p.DueBy:yyyy-MM-dd} (\"{p.DueText}\"), promised {Printer.Date(p.PromisedAt)}, {DateOnly.FromDateTime(now.UtcDateTime).DayNumber - p.DueBy.DayNumber} days ago, nothing delivered");
        }

        AnsiConsole.MarkupLineInterpolated($"[grey]Explore further: ledger --store {location} history {SampleMatter} --json[/]");
        return ExitCodes.Ok;
    }
}
