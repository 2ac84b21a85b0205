using System.CommandLine;
using Ledger.Archiving;
using Ledger.Cli.Output;
using Ledger.Importing;
using Ledger.Messaging.Sources;
using Ledger.Serialization;
using Spectre.Console;

namespace Ledger.Cli.Commands;

public static class ImportCommand
{
    public static void AddImportCommand(this RootCommand root)
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Disclosure documents: files, directories (every .json, .ndjson, .jsonl below) or - for standard input",
            Arity = ArgumentArity.OneOrMore,
        };
        var recordedBy = new Option<string?>("--recorded-by")
        {
            Description = "Who records these statements (default: LEDGER_ACTOR, else the user name)",
        };
        var command = new Command("import", "Record the statements of disclosure documents; each document is all-or-nothing, and the first refused one stops the import") { inputs, recordedBy };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var actor = Actor(context.Value(recordedBy));
            var errors = new List<InputError>();
            var raws = await DocumentFiles.ReadRawAsync(context.Value(inputs)!, errors, cancellationToken);
            if (errors.Count > 0)
            {
                return ReportErrors(errors, context.Json, null);
            }

            var documents = ImportDocument.ReadValid(raws, actor, errors, DocumentFiles.ResolveArchives);
            await using var sources = await context.Backend.OpenSourceArchiveAsync(cancellationToken);
            var result = await ProgressBar.RunAsync("importing", raws.Count, context.Json, progress =>
                new ImportPipeline(context.Store, context.Clock, sources).HandleAsync(documents, progress, cancellationToken));
            errors.AddRange(result.Errors);
            if (errors.Count > 0)
            {
                return ReportErrors(errors, context.Json, result);
            }

            Report(result, context.Json);
            if (result.Failure is null && result.Appended > 0 && await SignCheckpointAsync(context, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (result.Failure is not null)
            {
                await Console.Error.WriteLineAsync($"ledger: the store failed: {result.Failure}; the {result.Documents.Count} document(s) reported above were recorded whole, nothing after them. Run the same import again once the store is back: it is idempotent.");
                return ExitCodes.StoreFailure;
            }

            if (result.Conflict is not null)
            {
                await Console.Error.WriteLineAsync($"ledger: conflict: {Printer.Plain(result.Conflict)}");
                return ExitCodes.Conflict;
            }

            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    /// <summary>Signs a checkpoint over what was recorded, when the store keeps a Merkle log and its key is there; an exit code if signing was refused.</summary>
    internal static async Task<int?> SignCheckpointAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Store is not Verification.IVerifiableStore)
        {
            return null;
        }

        using var signer = VerifiableLog.TryLoadSigner(context.Backend);
        if (signer is null)
        {
            return null;
        }

        try
        {
            // The witnesses of the environment (Ledger__Log__Witnesses__<i>__Url and __Key) cosign it, as the server's would.
            var (witnesses, _) = CheckpointWitnesses.Resolve([], null);
            var signed = await CheckpointWitnesses.SignAsync(await VerifiableLog.CaughtUpAsync(context.Store, cancellationToken), signer, context.Clock, witnesses, cancellationToken);
            if (signed.Signed && !context.Json)
            {
                AnsiConsole.MarkupLineInterpolated($"signed the checkpoint of tree size {signed.Checkpoint.TreeSize}");
            }

            return null;
        }
        catch (Verification.LogIntegrityException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: the documents above were recorded, but no checkpoint was signed: {ex.Message}");
            return ExitCodes.VerificationFailed;
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"ledger: the documents above were recorded, but no checkpoint was signed: {ex.Message}");
            return ExitCodes.Usage;
        }
    }

    internal static string Actor(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("LEDGER_ACTOR");
        return string.IsNullOrWhiteSpace(fromEnvironment) ? Environment.UserName : fromEnvironment;
    }

    private static int ReportErrors(List<InputError> errors, bool json, ImportResult? partial)
    {
        var appended = partial?.Appended ?? 0;
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new
                {
                    appended,
                    documentsAppended = partial?.Documents.Select(d => d.Location.ToString()) ?? [],
                    errors = errors.Select(e => new { file = e.Location.File, document = e.Location.Document, statementIndex = e.Location.StatementIndex, statementId = e.Location.StatementId, field = e.Field, message = e.Message, text = e.ToString() }),
                },
                LedgerJson.Output));
        }

        foreach (var error in errors)
        {
            Console.Error.WriteLine($"error: {Printer.Plain(error.ToString())}");
        }

        Console.Error.WriteLine(partial is { Documents.Count: > 0 }
            ? $"ledger: {errors.Count} error(s); the {partial.Documents.Count} document(s) before the first invalid one were recorded ({appended} statement(s)), nothing from it or after it"
            : $"ledger: {errors.Count} error(s); nothing was appended");
        return ExitCodes.InvalidInput;
    }

    private static void Report(ImportResult result, bool json)
    {
        if (json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new
                {
                    appended = result.Appended,
                    alreadyPresent = result.AlreadyPresent,
                    documents = result.Documents.Select(d => new { location = d.Location.ToString(), matter = d.Matter, appended = d.Appended, alreadyPresent = d.AlreadyPresent }),
                    conflict = result.Conflict,
                    failure = result.Failure,
                },
                LedgerJson.Output));
            return;
        }

        foreach (var document in result.Documents.Where(d => d.AlreadyPresent.Count > 0))
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]{document.Location}: already present: {string.Join(", ", document.AlreadyPresent)}[/]");
        }

        AnsiConsole.MarkupLineInterpolated($"imported {result.Appended} statement(s) from {result.Documents.Count} document(s); {result.AlreadyPresent} already present");
    }
}

/// <summary>Reads documents from files, directories and standard input, and resolves archived source files to their hashes.</summary>
public static class DocumentFiles
{
    private static readonly string[] Extensions = [".json", ".ndjson", ".jsonl"];

    /// <summary>Reads every input and splits it into documents; JSON syntax errors are all reported here, before anything is imported.</summary>
    public static async Task<List<RawDocument>> ReadRawAsync(IEnumerable<string> inputs, List<InputError> errors, CancellationToken cancellationToken)
    {
        var raws = new List<RawDocument>();
        foreach (var (name, utf8) in await LoadAsync(inputs, errors, cancellationToken))
        {
            raws.AddRange(DisclosureReader.Read(name, utf8, errors));
        }

        return raws;
    }

    public static List<ImportDocument> Parse(string name, string text, string actor, List<InputError> errors) =>
        ImportDocument.ReadValid(DisclosureReader.Read(name, text, errors), actor, errors, ResolveArchives).ToList();

    private static async Task<List<(string Name, byte[] Utf8)>> LoadAsync(IEnumerable<string> inputs, List<InputError> errors, CancellationToken cancellationToken)
    {
        var files = new List<(string, byte[])>();
        foreach (var input in inputs)
        {
            if (input == "-")
            {
                using var buffer = new MemoryStream();
                await Console.OpenStandardInput().CopyToAsync(buffer, cancellationToken);
                files.Add(("<stdin>", buffer.ToArray()));
            }
            else if (Directory.Exists(input))
            {
                foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                             .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                             .Order(StringComparer.Ordinal))
                {
                    files.Add((file, await File.ReadAllBytesAsync(file, cancellationToken)));
                }
            }
            else if (File.Exists(input))
            {
                files.Add((input, await File.ReadAllBytesAsync(input, cancellationToken)));
            }
            else
            {
                errors.Add(new InputError(new InputLocation(input), null, "no such file or directory"));
            }
        }

        return files;
    }

    /// <summary>
    /// Reads the source files the statements name (<c>source.archive</c>, relative to the document): their hash goes
    /// into the statement, and the file is archived with the document. A file over the size limit or of an unknown media
    /// type is an error of its statement.
    /// </summary>
    public static ImportDocument ResolveArchives(ImportDocument document, List<InputError> errors)
    {
        var file = document.Location.File;
        var directory = file == "<stdin>" ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(file))!;
        var archived = new List<ArchivedFile>();
        var statements = document.Statements.Select((statement, index) =>
        {
            if (statement.Source.Archive is not { } archive)
            {
                return statement;
            }

            var path = Path.Combine(directory, archive);
            void Error(string message) => errors.Add(new InputError(document.Location.ForStatement(index, statement.StatementId), "source.archive", message));
            if (!File.Exists(path))
            {
                if (statement.Source.ArchiveSha256 is null)
                {
                    Error($"archived source file \"{archive}\" not found next to the document");
                }

                return statement;
            }

            var (source, bytes, refused) = SourceFiles.ReadFile(path, archive, SourceFiles.MaxBytes());
            if (refused is not null)
            {
                Error(refused);
                return statement;
            }

            var hash = source!.Sha256;
            if (statement.Source.ArchiveSha256 is { } given && given != hash)
            {
                Error($"archived source file \"{archive}\" has SHA-256 {hash}, not the archiveSha256 given ({given})");
            }

            archived.Add(new ArchivedFile(index, statement.StatementId, source, bytes));
            return statement with { Source = statement.Source with { ArchiveSha256 = hash } };
        }).ToList();
        return document with { Statements = statements, ArchivedFiles = archived };
    }
}
