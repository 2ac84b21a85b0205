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
        // Through the runner: a store that fails to open (a state store of another log) exits with its code and message.
        command.SetActionWithoutStore(async (parse, cancellationToken) =>
        {
            var location = StoreLocation.Resolve(parse.GetValue(CliOptions.Store));
            StoreLocation.Backend(location);
            await using var app = await LedgerServer.BuildAsync([$"--Ledger:Store={location}", $"--Ledger:LoadSample={!parse.GetValue(noSample)}", "--urls", parse.GetValue(urls)!]);
            await app.StartAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }
}
