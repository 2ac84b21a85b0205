using System.CommandLine;
using System.Runtime.CompilerServices;
using Ledger.Cli.Output;
using Ledger.Verification;
using Spectre.Console;

namespace Ledger.Cli.Commands;

/// <summary>
/// `ledger verify`: online, recomputes every leaf and checks every stored checkpoint; offline (--export), checks an
/// NDJSON export against signed checkpoint notes without opening any store.
/// </summary>
public static class VerifyCommand
{
    public static void AddVerifyCommand(this RootCommand root)
    {
        var export = new Option<string?>("--export") { Description = "Verify this NDJSON export (ledger export) offline instead of the store; needs --checkpoint and --public-key" };
        var checkpoints = new Option<string[]>("--checkpoint") { Description = "A signed checkpoint note file to verify the export against (repeatable: older ones too)" };
        var publicKey = new Option<string?>("--public-key") { Description = "The log's verifier key, or a file holding it (default: the public half of the key file)" };
        var keyFile = VerifiableLog.KeyFileOption();
        var witnessKeys = new Option<string[]>("--witness-key") { Description = "A witness's verifier key, or a file holding it: the --checkpoint notes must carry its cosignature (repeatable)" };
        var quorum = new Option<int?>("--quorum") { Description = "How many of the --witness-key witnesses must have cosigned each checkpoint (default: all)" };
        var evidence = new Option<string?>("--evidence") { Description = "Check a split-view evidence bundle (written by ledger monitor) offline: both checkpoints verify and they conflict" };
        var command = new Command("verify", "Check that every event still gives its leaf hash and every signed checkpoint still holds; exit 5 when anything does not")
        {
            export, checkpoints, publicKey, keyFile, witnessKeys, quorum, evidence,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var notes = parse.GetValue(checkpoints) ?? [];
            var witnesses = parse.GetValue(witnessKeys) ?? [];
            if (parse.GetValue(evidence) is { } bundle)
            {
                return CommandRunner.RunAsync(() => EvidenceCheck.RunAsync(bundle, parse.GetValue(publicKey), parse.GetValue(CliOptions.Json), cancellationToken), cancellationToken);
            }

            if (parse.GetValue(export) is { } file)
            {
                return CommandRunner.RunAsync(async () =>
                {
                    var witnessed = witnesses.Length == 0 ? ExitCodes.Ok
                        : await CosignatureCheck.RunAsync(OfflineLogKey(parse.GetValue(publicKey), parse.GetValue(keyFile)), notes, witnesses, parse.GetValue(quorum), parse.GetValue(CliOptions.Json), cancellationToken);
                    var verified = await VerifyExportAsync(parse, file, notes, parse.GetValue(publicKey), parse.GetValue(keyFile), cancellationToken);
                    return verified != ExitCodes.Ok ? verified : witnessed;
                }, cancellationToken);
            }

            if (witnesses.Length > 0 || parse.GetValue(quorum) is not null)
            {
                return CommandRunner.RunAsync(() => notes.Length == 0
                    ? throw new UsageException("--witness-key checks the cosignatures of --checkpoint note files: give at least one")
                    : CosignatureCheck.RunAsync(OfflineLogKey(parse.GetValue(publicKey), parse.GetValue(keyFile)), notes, witnesses, parse.GetValue(quorum), parse.GetValue(CliOptions.Json), cancellationToken),
                    cancellationToken);
            }

            if (notes.Length > 0)
            {
                return CommandRunner.RunAsync(() => throw new UsageException("--checkpoint goes with --export or --witness-key: online, the store's own checkpoints are verified"), cancellationToken);
            }

            return CommandRunner.RunWithStoreAsync(parse, async (context, token) =>
            {
                var log = await VerifiableLog.CaughtUpAsync(context.Store, token);
                var verifier = VerifiableLog.PublicKey(context.Value(publicKey), () =>
                {
                    using var signer = VerifiableLog.LoadSigner(context.Backend, context.Value(keyFile));
                    return signer.Verifier;
                });
                var total = (await log.OpenTreeAsync(token)).Size;
                var report = await ProgressBar.RunAsync("verifying", (int)Math.Min(total, int.MaxValue), context.Json, progress =>
                    VerifyLog.RunAsync(log, verifier, Leaves(progress), token));
                return Report(report, context.Json, "the store");
            }, cancellationToken);
        });
        root.Subcommands.Add(command);
    }

    private static async Task<int> VerifyExportAsync(ParseResult parse, string file, string[] noteFiles, string? publicKey, string? keyFile, CancellationToken cancellationToken)
    {
        var json = parse.GetValue(CliOptions.Json);
        if (noteFiles.Length == 0)
        {
            throw new UsageException("--export needs at least one --checkpoint note file to verify against");
        }

        if (publicKey is null && keyFile is null)
        {
            throw new UsageException("--export needs --public-key (the verifier key printed by ledger log key show), or --key-file");
        }

        var verifier = OfflineLogKey(publicKey, keyFile);
        var notes = new List<CheckpointNote>();
        foreach (var noteFile in noteFiles)
        {
            notes.Add(new CheckpointNote(noteFile, await File.ReadAllTextAsync(noteFile, cancellationToken)));
        }

        var total = 0;
        foreach (var unused in File.ReadLines(file))
        {
            total++;
        }

        var report = await ProgressBar.RunAsync("verifying", total, json, progress =>
            VerifyExport.RunAsync(ReadLinesAsync(file, cancellationToken), notes, verifier, Leaves(progress), cancellationToken));
        return Report(report, json, file);
    }

    /// <summary>The log's verifier key for an offline check: --public-key, else the public half of --key-file.</summary>
    private static NoteVerifier OfflineLogKey(string? publicKey, string? keyFile) =>
        publicKey is null && keyFile is null
            ? throw new UsageException("an offline check needs --public-key (the verifier key printed by ledger log key show), or --key-file")
            : VerifiableLog.PublicKey(publicKey, () =>
            {
                using var signer = Messaging.Verifying.LogKeyFile.Load(Path.GetFullPath(keyFile!));
                return signer.Verifier;
            });

    private static async IAsyncEnumerable<ExportedEvent> ReadLinesAsync(string file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var number = 0L;
        await foreach (var line in File.ReadLinesAsync(file, cancellationToken))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            ExportedEvent parsed;
            try
            {
                parsed = ExportedEvent.Parse(line, number);
            }
            catch (FormatException ex)
            {
                throw new FormatException($"{file}: {ex.Message}", ex);
            }

            yield return parsed;
        }
    }

    private static Progress<long>? Leaves(IProgress<int>? progress) =>
        progress is null ? null : new Progress<long>(done => progress.Report((int)Math.Min(done, int.MaxValue)));

    private static int Report(VerificationReport report, bool json, string what)
    {
        if (json)
        {
            Printer.Json(report);
        }
        else
        {
            PrintReport(report, what);
        }

        if (report.Ok)
        {
            return ExitCodes.Ok;
        }

        var failed = report.Checkpoints.Count(c => !c.Ok);
        Console.Error.WriteLine($"ledger: verification failed: {report.Events.Count} event(s), {failed} checkpoint(s) and {report.Problems.Count} other problem(s) found in {what}");
        return ExitCodes.VerificationFailed;
    }

    private static void PrintReport(VerificationReport report, string what)
    {
        AnsiConsole.MarkupLineInterpolated($"{what}: {report.Leaves} leaves recomputed; root {VerifiableLog.Base64(report.Root)}");
        if (report.Checkpoints.Count == 0)
        {
            AnsiConsole.MarkupLine("no signed checkpoint to check");
        }

        foreach (var checkpoint in report.Checkpoints)
        {
            AnsiConsole.MarkupLineInterpolated($"{(checkpoint.Ok ? "ok  " : "FAIL")}  {checkpoint.Name}");
            foreach (var problem in checkpoint.Problems)
            {
                AnsiConsole.MarkupLineInterpolated($"        {problem}");
            }
        }

        foreach (var finding in report.Events)
        {
            AnsiConsole.MarkupLineInterpolated($"{finding.Kind.ToUpperInvariant()}  {Printer.Plain(finding.Message)}");
        }

        foreach (var problem in report.Problems)
        {
            AnsiConsole.MarkupLineInterpolated($"FAIL  {problem}");
        }

        if (report.NotYetInTree > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"{report.NotYetInTree} event(s) after the tree's last leaf are not covered yet");
        }

        if (report.Ok)
        {
            AnsiConsole.MarkupLine("verified: every event gives its leaf hash and every checkpoint holds");
        }
    }
}
