using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Projections.ReadModels;
using Spectre.Console;

namespace Ledger.Cli.Commands;

public static class ProjectionCommands
{
    public static void AddProjectionsCommand(this RootCommand root)
    {
        var rebuild = new Command("rebuild", "Rebuild the read models (matters, promises, organizations) from the events; a rebuild that stopped half-way resumes");
        rebuild.SetStoreAction(async (context, cancellationToken) =>
        {
            var rebuilder = context.Store.Feature<IRebuildsReadModels>()
                ?? throw new UsageException("this ledger's store keeps no read models to rebuild");
            var started = System.Diagnostics.Stopwatch.StartNew();
            await ProgressBar.RunAsync("rebuilding read models", context.Json, progress => rebuilder.RebuildReadModelsAsync(progress, cancellationToken));
            var position = await context.Store.Feature<IReadModelSource>()!.ReadModels.PositionAsync(cancellationToken);
            if (context.Json)
            {
                Printer.Json(new { rebuilt = true, position, seconds = Math.Round(started.Elapsed.TotalSeconds, 3) });
            }
            else
            {
                AnsiConsole.MarkupLineInterpolated($"read models rebuilt through position {position} in {started.Elapsed.TotalSeconds:0.0} s");
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(new Command("projections", "The stored read models behind status, matters, promises, organizations and the dashboard") { rebuild });
    }
}
