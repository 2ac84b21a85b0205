using System.CommandLine;
using Ledger.Server;
using Microsoft.Extensions.Hosting;

namespace Ledger.Cli.Commands;

public static class ServeCommand
{
    public static void AddServeCommand(this RootCommand root)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var noSample = new Option<bool>("--no-sample") { Description = "Do not load the reference case into an empty ledger" };
        var command = new Command("serve", "Serve the HTTP API, live subscriptions, feeds, webhooks and the dashboard; runs the worker too") { urls, noSample };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var location = StoreLocation.Resolve(parse.GetValue(CliOptions.Store));
            try
            {
                StoreLocation.Backend(location);
            }
            catch (UsageException ex)
            {
                await Console.Error.WriteLineAsync($"ledger: {ex.Message}");
                return ExitCodes.Usage;
            }

            await using var app = await LedgerServer.BuildAsync([$"--Ledger:Store={location}", $"--Ledger:LoadSample={!parse.GetValue(noSample)}", "--urls", parse.GetValue(urls)!]);
            await app.StartAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }
}
