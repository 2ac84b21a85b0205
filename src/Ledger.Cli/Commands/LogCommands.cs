using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Messaging.Verifying;
using Ledger.Verification;
using Spectre.Console;

namespace Ledger.Cli.Commands;

/// <summary>`ledger log key create|show`, `ledger log checkpoint`, `ledger log checkpoints`: the verifiable log's key and its signed checkpoints.</summary>
public static class LogCommands
{
    public static void AddLogCommands(this RootCommand root)
    {
        var log = new Command("log", "The verifiable log: its signing key and its signed checkpoints");
        log.Subcommands.Add(KeyCommand());
        log.Subcommands.Add(CheckpointCommand());
        log.Subcommands.Add(CheckpointsCommand());
        root.Subcommands.Add(log);
    }

    private static Command KeyCommand()
    {
        var key = new Command("key", "Create or show the Ed25519 key that signs checkpoints");

        var name = new Option<string?>("--name") { Description = "The log's origin, which names the key and heads every checkpoint, e.g. ledger.example.org/disclosures (default: <host name>/ledger)" };
        var keyFile = VerifiableLog.KeyFileOption();
        var force = new Option<bool>("--force") { Description = "Replace an existing key: checkpoints signed with it will no longer verify with the new one" };
        var create = new Command("create", "Create the signing key, readable by its owner only, and print its verifier key (public)") { name, keyFile, force };
        create.SetActionWithoutStore((parse, cancellationToken) =>
        {
            var origin = parse.GetValue(name) ?? LogKeyFile.DefaultOrigin;
            NoteSigner signer;
            try
            {
                signer = NoteSigner.Generate(origin);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"--name \"{origin}\": an origin is one word without spaces or '+', e.g. ledger.example.org/disclosures");
            }

            using (signer)
            {
                var path = LogKeyFile.Locate(VerifiableLog.Backend(parse), parse.GetValue(keyFile));
                LogKeyFile.Write(path, signer, parse.GetValue(force));
                PrintKey(parse.GetValue(CliOptions.Json), path, signer.Verifier, created: true);
            }

            return Task.FromResult(ExitCodes.Ok);
        });

        var showKeyFile = VerifiableLog.KeyFileOption();
        var show = new Command("show", "Print the verifier key (public) of the signing key: what verifiers need") { showKeyFile };
        show.SetActionWithoutStore((parse, cancellationToken) =>
        {
            var path = LogKeyFile.Locate(VerifiableLog.Backend(parse), parse.GetValue(showKeyFile));
            using var signer = LogKeyFile.Load(path);
            PrintKey(parse.GetValue(CliOptions.Json), path, signer.Verifier, created: false);
            return Task.FromResult(ExitCodes.Ok);
        });

        key.Subcommands.Add(create);
        key.Subcommands.Add(show);
        return key;
    }

    private static void PrintKey(bool json, string path, NoteVerifier verifier, bool created)
    {
        if (json)
        {
            Printer.Json(new { keyFile = path, origin = verifier.Name, verifierKey = verifier.ToString() });
            return;
        }

        if (created)
        {
            Console.Error.WriteLine($"wrote the private key to {path}: keep it secret, and back it up with the ledger");
        }

        Console.WriteLine(verifier.ToString());
    }

    private static Command CheckpointCommand()
    {
        var keyFile = VerifiableLog.KeyFileOption();
        var witnesses = new Option<string[]>("--witness")
        {
            Description = $"A witness to send the new checkpoint to, as <url>=<witness verifier key>; repeatable (default: {LogOptions.Section}:Witnesses:<i>:Url and :Key from the environment)",
        };
        var quorum = new Option<int?>("--quorum") { Description = "How many witnesses must cosign for the checkpoint to count as witnessed (default: all)" };
        var command = new Command("checkpoint", "Sign a checkpoint of the tree now (unless it has not grown since the latest), have the witnesses cosign it, and print its signed note") { keyFile, witnesses, quorum };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var (endpoints, policy) = CheckpointWitnesses.Resolve(context.Value(witnesses) ?? [], context.Value(quorum));
            var log = await VerifiableLog.CaughtUpAsync(context.Store, cancellationToken);
            using var signer = VerifiableLog.LoadSigner(context.Backend, context.Value(keyFile));
            var result = await CheckpointWitnesses.SignAsync(log, signer, context.Clock, endpoints, cancellationToken);
            var checkpoint = result.Checkpoint;
            var witnessed = policy.IsWitnessed(checkpoint.Note);
            if (context.Json)
            {
                Printer.Json(new { treeSize = checkpoint.TreeSize, rootHash = VerifiableLog.Base64(checkpoint.RootHash), note = checkpoint.Note, signed = result.Signed, signedAt = checkpoint.SignedAt, witnessed });
                return ExitCodes.Ok;
            }

            if (!result.Signed)
            {
                Console.Error.WriteLine($"the tree has not grown since the checkpoint of size {checkpoint.TreeSize}; that one stands");
            }

            if (!witnessed)
            {
                Console.Error.WriteLine($"the checkpoint of size {checkpoint.TreeSize} has fewer than {policy.Quorum} witnesses' cosignatures: it does not count as witnessed");
            }

            Console.Write(checkpoint.Note);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CheckpointsCommand()
    {
        var command = new Command("checkpoints", "List the signed checkpoints, smallest tree first");
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var checkpoints = await VerifiableLog.Of(context.Store).ListCheckpointsAsync(cancellationToken);
            if (context.Json)
            {
                Printer.Json(checkpoints.Select(c => new { treeSize = c.TreeSize, rootHash = VerifiableLog.Base64(c.RootHash), signedAt = c.SignedAt, note = c.Note }));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("tree size", "root", "signed");
            foreach (var c in checkpoints)
            {
                table.AddRow(c.TreeSize.ToString(System.Globalization.CultureInfo.InvariantCulture), VerifiableLog.Base64(c.RootHash), Printer.Date(c.SignedAt));
            }

            Printer.Table(table, "no checkpoints");
            return ExitCodes.Ok;
        });
        return command;
    }
}
