using System.CommandLine;
using System.Reflection;
using Ledger.Cli.Output;
using Ledger.Importing;
using Ledger.Projections;
using Spectre.Console;

namespace Ledger.Cli.Commands;

public static class DemoCommand
{
    public const string SampleMatter = "microsoft/imod-azure";

    public static void AddDemoCommand(this RootCommand root)
    {
        var command = new Command("demo", "Load the reference case (Microsoft's 2025 review of IMOD's use of Azure) into a fresh temporary ledger (or --store) and show it");
        command.SetAction(async (parse, cancellationToken) =>
        {
            // A fresh ledger of its own, in a folder removed afterwards: the demo leaves nothing behind.
            var temporary = parse.GetValue(CliOptions.Store) is null ? Directory.CreateTempSubdirectory("ledger-demo-") : null;
            var location = temporary is null ? parse.GetValue(CliOptions.Store)! : $"sqlite:{Path.Combine(temporary.FullName, "ledger.db")}";
            try
            {
                return await CommandRunner.RunWithStoreAsync(parse, (context, ct) => RunAsync(context, temporary is null ? location : null, ct), cancellationToken, _ => location);
            }
            finally
            {
                if (temporary is not null)
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    temporary.Delete(recursive: true);
                }
            }
        });
        root.Subcommands.Add(command);
    }

    public static IEnumerable<(string Name, string Text)> Samples()
    {
        var assembly = Assembly.GetExecutingAssembly();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("samples/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name, reader.ReadToEnd());
        }
    }

    /// <summary>Loads and shows the reference case; <paramref name="kept"/> is the store named by --store, null for a temporary one.</summary>
    private static async Task<int> RunAsync(CommandContext context, string? kept, CancellationToken cancellationToken)
    {
        var errors = new List<InputError>();
        var documents = Samples().SelectMany(s => DocumentFiles.Parse(s.Name, s.Text, "ledger demo", errors)).ToList();
        if (errors.Count > 0)
        {
            errors.ForEach(e => Console.Error.WriteLine($"error: {e}"));
            return ExitCodes.InvalidInput;
        }

        var result = await new ImportPipeline(context.Store, context.Clock).HandleAsync(documents, cancellationToken: cancellationToken);

        var now = context.Clock.GetUtcNow();
        var timeline = await context.Queries.TimelineAsync(SampleMatter, null, cancellationToken);
        var status = MatterViews.Status(timeline, now);
        var history = MatterHistory.Build(timeline, now);
        var overdue = status.Promises.Where(p => p.Status == PromiseStates.Overdue).ToList();
        if (context.Json)
        {
            Printer.Json(new { store = kept, appended = result.Appended, status, history, overdue });
            return ExitCodes.Ok;
        }

        AnsiConsole.MarkupLineInterpolated($"[grey]Loaded {result.Appended} statements ({result.AlreadyPresent} already present) into {kept ?? "a temporary ledger, removed when the demo ends"}[/]");
        Printer.Status(status, now);
        AnsiConsole.Write(new Rule("[bold]history[/]").LeftJustified());
        Printer.History(history);
        AnsiConsole.Write(new Rule("[bold]overdue promises[/]").LeftJustified());
        foreach (var p in overdue)
        {
            AnsiConsole.MarkupLineInterpolated($"[bold red]OVERDUE[/] {p.Id}: {p.What}; due {p.DueBy:yyyy-MM-dd} (\"{p.DueText}\"), promised {Printer.Date(p.PromisedAt)}, {DateOnly.FromDateTime(now.UtcDateTime).DayNumber - p.DueBy.DayNumber} days ago, nothing delivered");
        }

        // Plain lines: a command to copy must not be wrapped at the terminal's width.
        var ledger = Invocation.Command;
        Console.WriteLine(kept is null
            ? $"To keep a ledger to explore, run the demo on a file: {ledger} --store sqlite:ledger-demo.db demo{Environment.NewLine}then, for instance: {ledger} --store sqlite:ledger-demo.db history {SampleMatter}"
            : $"Explore further: {ledger} --store {kept} history {SampleMatter} --json");
        return ExitCodes.Ok;
    }
}
