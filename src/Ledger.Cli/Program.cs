using System.CommandLine;
using Ledger.Cli;
using Ledger.Cli.Commands;

if (Console.IsOutputRedirected)
{
    // Piped output is read by people in files and logs: do not wrap it at 80 columns.
    Spectre.Console.AnsiConsole.Profile.Width = 200;
}

var root = new RootCommand("Ledger: an event-sourced ledger of corporate public disclosures.");
root.Options.Add(CliOptions.Store);
root.Options.Add(CliOptions.Json);

root.AddImportCommand();
root.AddSourcesCommand();
root.AddMattersCommand();
root.AddStatusCommand();
root.AddHistoryCommand();
root.AddDiffCommand();
root.AddPromisesCommand();
root.AddOrganizationsCommand();
root.AddReplayCommand();
root.AddProjectionsCommand();
root.AddExportCommand();
root.AddTailCommand();
root.AddMigrateCommand();
root.AddDemoCommand();
root.AddServeCommand();
root.AddKeysCommand();
root.AddWorkerCommand();
root.AddNotificationsCommand();
root.AddWebhookCommands();
root.AddLogCommands();
root.AddProveCommand();
root.AddVerifyCommand();
root.AddWitnessCommands();
root.AddMonitorCommand();
root.AddCodegenCommand();

return await root.Parse(args).InvokeAsync();
