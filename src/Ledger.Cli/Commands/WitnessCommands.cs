using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Messaging.Verifying;
using Ledger.Server.Witnessing;
using Ledger.Verification;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ledger.Cli.Commands;

/// <summary>`ledger witness key create|show`, `ledger witness serve`: a C2SP tlog-witness that cosigns logs' checkpoints.</summary>
public static class WitnessCommands
{
    public static void AddWitnessCommands(this RootCommand root)
    {
        var witness = new Command("witness", "Run a witness (C2SP tlog-witness): cosign ledgers' checkpoints that extend the ones it cosigned before");
        witness.Subcommands.Add(KeyCommand());
        witness.Subcommands.Add(ServeCommand());
        root.Subcommands.Add(witness);
    }

    private static Option<string> KeyFileOption() => new("--key-file") { Description = "The witness's private key file", Required = true };

    private static Command KeyCommand()
    {
        var key = new Command("key", "Create or show the witness's Ed25519 cosigning key");
        var name = new Option<string>("--name") { Description = "The witness's name, e.g. witness.example.org/w1", Required = true };
        var keyFile = KeyFileOption();
        var force = new Option<bool>("--force") { Description = "Replace an existing key: cosignatures made with it will no longer verify with the new one" };
        var create = new Command("create", "Create the witness key, readable by its owner only, and print its verifier key (public; logs and verifiers list it)") { name, keyFile, force };
        create.SetActionWithoutStore((parse, cancellationToken) =>
        {
            var witnessName = parse.GetValue(name)!;
            WitnessSigner signer;
            try
            {
                signer = WitnessSigner.Generate(witnessName);
            }
            catch (ArgumentException)
            {
                throw new UsageException($"--name \"{witnessName}\": a witness name is one word without spaces or '+', e.g. witness.example.org/w1");
            }

            using (signer)
            {
                var path = Path.GetFullPath(parse.GetValue(keyFile)!);
                LogKeyFile.WritePrivate(path, signer.ExportPrivateKey(), parse.GetValue(force));
                Print(parse.GetValue(CliOptions.Json), path, signer.Verifier, created: true);
            }

            return Task.FromResult(ExitCodes.Ok);
        });

        var showKeyFile = KeyFileOption();
        var show = new Command("show", "Print the witness's verifier key (public)") { showKeyFile };
        show.SetActionWithoutStore((parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(showKeyFile)!);
            using var signer = WitnessServer.LoadKey(path);
            Print(parse.GetValue(CliOptions.Json), path, signer.Verifier, created: false);
            return Task.FromResult(ExitCodes.Ok);
        });

        key.Subcommands.Add(create);
        key.Subcommands.Add(show);
        return key;
    }

    private static void Print(bool json, string path, WitnessVerifier verifier, bool created)
    {
        if (json)
        {
            Printer.Json(new { keyFile = path, name = verifier.Name, verifierKey = verifier.ToString() });
            return;
        }

        if (created)
        {
            Console.Error.WriteLine($"wrote the witness's private key to {path}: keep it secret");
        }

        Console.WriteLine(verifier.ToString());
    }

    private static Command ServeCommand()
    {
        var keyFile = KeyFileOption();
        var state = new Option<string?>("--state") { Description = "The SQLite file of what the witness cosigned (default: <key file>.state.db)" };
        var logs = new Option<string[]>("--log") { Description = "A log to witness: its verifier key (ledger log key show), or a file holding it; repeatable", Required = true };
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:5090" };
        var command = new Command("serve", "Serve POST /add-checkpoint (C2SP tlog-witness) for the listed logs") { keyFile, state, logs, urls };
        command.SetActionWithoutStore(async (parse, cancellationToken) =>
        {
            var key = Path.GetFullPath(parse.GetValue(keyFile)!);
            var keys = (parse.GetValue(logs) ?? []).Select(l => VerifiableLog.PublicKey(l, () => throw new UsageException("--log needs a verifier key"))).ToList();
            var settings = new WitnessSettings(key, Path.GetFullPath(parse.GetValue(state) ?? key + ".state.db"), keys, parse.GetValue(urls)!);
            await using var app = await WitnessServer.BuildAsync(settings, TimeProvider.System, cancellationToken);
            await app.StartAsync(cancellationToken);
            Console.Error.WriteLine($"witness {app.Services.GetRequiredService<WitnessSigner>().Verifier} listening on {settings.Urls} for {string.Join(", ", keys.Select(k => k.Name))}");
            await app.WaitForShutdownAsync(cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }
}
