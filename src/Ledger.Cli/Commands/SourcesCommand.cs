using System.CommandLine;
using Ledger.Archiving;
using Ledger.Cli.Output;
using Ledger.Importing;
using Ledger.Messaging.Sources;
using Spectre.Console;

namespace Ledger.Cli.Commands;

/// <summary>ledger sources add: archive a saved copy of a recorded statement's source and check its quote against it.</summary>
public static class SourcesCommand
{
    public static void AddSourcesCommand(this RootCommand root)
    {
        var statementId = new Argument<string>("statement-id") { Description = "The recorded statement whose source this is" };
        var file = new Argument<string>("file") { Description = "The saved source: an HTML page, a PDF or a plain-text file" };
        var maxMegabytes = new Option<int?>("--max-mb")
        {
            Description = $"The largest file to archive, in MB (default: {SourceFiles.MaxMegabytesVariable}, else {SourceFiles.DefaultMaxMegabytes})",
        };
        var recordedBy = new Option<string?>("--recorded-by") { Description = "Who archives it (default: LEDGER_ACTOR, else the user name)" };
        var add = new Command("add", "Archive a statement's saved source (stored by its SHA-256) and record whether the statement's quote is found in its text")
        {
            statementId, file, maxMegabytes, recordedBy,
        };
        add.SetStoreAction(async (context, cancellationToken) =>
        {
            var id = context.Value(statementId)!;
            var path = context.Value(file)!;
            var limit = context.Value(maxMegabytes) is { } mb
                ? mb > 0 ? mb * 1024L * 1024L : throw new UsageException("--max-mb must be a positive number of megabytes")
                : SourceFiles.MaxBytes();
            var location = new InputLocation(path);
            var (source, bytes, error) = SourceFiles.ReadFile(path, path, limit);
            if (error is not null)
            {
                return Refused(context.Json, [new InputError(location, ArchiveSource.Field, $"statement \"{id}\": {error}")]);
            }

            await using var archive = await context.Backend.OpenSourceArchiveAsync(cancellationToken);
            var command = new ArchiveSource(location, id, source!, ImportCommand.Actor(context.Value(recordedBy)));
            var outcome = await new ArchiveSourceHandler(context.Store, archive, context.Clock).HandleAsync(command, bytes, cancellationToken);
            if (outcome.Errors.Count > 0)
            {
                return Refused(context.Json, outcome.Errors);
            }

            var archived = outcome.Archived!;
            Report(archived, outcome.AlreadyPresent, path, context.Json);
            return !outcome.AlreadyPresent && await ImportCommand.SignCheckpointAsync(context, cancellationToken) is { } refused ? refused : ExitCodes.Ok;
        });
        root.Subcommands.Add(new Command("sources", "Archived copies of statements' sources") { add });
    }

    private static int Refused(bool json, IReadOnlyList<InputError> errors)
    {
        if (json)
        {
            Printer.Json(new { appended = 0, errors = errors.Select(e => new { file = e.Location.File, field = e.Field, message = e.Message, text = e.ToString() }) });
        }

        foreach (var error in errors)
        {
            Console.Error.WriteLine($"error: {Printer.Plain(error.ToString())}");
        }

        Console.Error.WriteLine("ledger: nothing was appended");
        return ExitCodes.InvalidInput;
    }

    private static void Report(Events.SourceArchived archived, bool alreadyPresent, string path, bool json)
    {
        if (json)
        {
            Printer.Json(new
            {
                statementId = archived.SourceOf,
                matter = archived.Matter,
                sha256 = archived.Sha256,
                mediaType = archived.MediaType,
                length = archived.Length,
                extraction = archived.Extraction,
                quoteFound = archived.QuoteFound,
                quoteOffset = archived.QuoteOffset,
                alreadyPresent,
            });
            return;
        }

        AnsiConsole.MarkupLineInterpolated(
            $"{(alreadyPresent ? "already archived" : "archived")} {path} for {archived.SourceOf} ({archived.MediaType}, {archived.Length:N0} bytes, sha256 {archived.Sha256})");
        var line = Projections.ArchivedSource.Of(archived).Describe();
        if (archived.QuoteFound)
        {
            AnsiConsole.MarkupLineInterpolated($"[green]{line}[/] at offset {archived.QuoteOffset}");
        }
        else
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{line}[/]");
        }
    }
}
