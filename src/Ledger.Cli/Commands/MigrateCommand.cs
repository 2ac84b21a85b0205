using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Migrating;
using Spectre.Console;

namespace Ledger.Cli.Commands;

public static class MigrateCommand
{
    public static void AddMigrateCommand(this RootCommand root)
    {
        var from = new Option<string>("--from") { Description = "The store to copy from (sqlite:, postgres:, postgresql://, esdb://)", Required = true };
        var to = new Option<string>("--to") { Description = "The store to copy into: empty, or left by an interrupted migrate of the same source", Required = true };
        var command = new Command("migrate", "Copy the whole ledger between backends, resumably, and verify every event") { from, to };
        command.SetStoreAction(
            async (context, cancellationToken) =>
            {
                await using var target = await StoreLocation.OpenAsync(context.Value(to)!, cancellationToken);
                var total = 0;
                await foreach (var unused in context.Store.ReadAllAsync(1, null, cancellationToken))
                {
                    total++;
                }

                var result = await ProgressBar.RunAsync("migrating", total, context.Json, progress =>
                    new MigrateLedger(context.Store, target).RunAsync(progress is null ? null : new Progress<long>(done => progress.Report((int)done)), cancellationToken));
                if (context.Json)
                {
                    Printer.Json(result);
                }
                else if (result.Problem is null)
                {
                    AnsiConsole.MarkupLineInterpolated($"copied {result.Copied} event(s), {result.AlreadyPresent} already present; verified {result.Verified} event(s): types, streams, versions, envelopes and data hashes equal");
                }

                if (result.Problem is null)
                {
                    return ExitCodes.Ok;
                }

                await Console.Error.WriteLineAsync($"ledger: migrate refused: {result.Problem}");
                return ExitCodes.InvalidInput;
            },
            parse => parse.GetValue(from)!);
        root.Subcommands.Add(command);
    }
}
