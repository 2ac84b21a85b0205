using System.CommandLine;
using Ledger.Cli.Output;
using Ledger.Querying;
using Ledger.Verification;

namespace Ledger.Cli.Commands;

/// <summary>`ledger prove`: inclusion proofs of statements and consistency proofs between tree sizes, checked before they are printed.</summary>
public static class ProveCommand
{
    public static void AddProveCommand(this RootCommand root)
    {
        var statement = new Argument<string?>("statement-id") { Description = "The statement to prove in the log", Arity = ArgumentArity.ZeroOrOne };
        var size = new Option<long?>("--size") { Description = "The tree size to prove against (default: the latest signed checkpoint if it covers the statement, else the tree now)" };
        var consistency = new Option<long[]>("--consistency")
        {
            Description = "Prove instead that the tree of size M extends the tree of size N: --consistency N M",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("prove", "Print an RFC 9162 inclusion proof of a statement (or a consistency proof), with the signed checkpoint it leads to") { statement, size, consistency };
        command.SetStoreAction(async (context, cancellationToken) =>
        {
            var log = await VerifiableLog.CaughtUpAsync(context.Store, cancellationToken);
            var sizes = context.Value(consistency);
            var id = context.Value(statement);
            if (sizes is { Length: 2 })
            {
                if (id is not null || context.Value(size) is not null)
                {
                    throw new UsageException("--consistency N M proves between two tree sizes: give it without a statement id or --size");
                }

                Print(await ProveConsistency.RunAsync(log, sizes[0], sizes[1], cancellationToken), context.Json);
                return ExitCodes.Ok;
            }

            if (id is null)
            {
                throw new UsageException("give a statement id to prove, or --consistency N M");
            }

            var found = await context.Store.FindStatementsAsync([id], cancellationToken);
            if (!found.TryGetValue(id, out var e))
            {
                throw new NotFoundException($"no statement \"{id}\" is recorded");
            }

            Print(id, await ProveInclusion.RunAsync(log, e, context.Value(size), cancellationToken), context.Json);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(command);
    }

    private static void Print(string id, InclusionProof proof, bool json)
    {
        var path = proof.Path.Select(h => VerifiableLog.Base64(h)).ToList();
        if (json)
        {
            Printer.Json(new
            {
                statementId = id,
                position = proof.Position,
                leafIndex = proof.LeafIndex,
                treeSize = proof.TreeSize,
                leafHash = VerifiableLog.Base64(proof.LeafHash),
                rootHash = VerifiableLog.Base64(proof.RootHash),
                path,
                checkpoint = proof.Checkpoint?.Note,
            });
            return;
        }

        Console.WriteLine($"statement   {id} (position {proof.Position})");
        Console.WriteLine($"leaf index  {proof.LeafIndex}");
        Console.WriteLine($"tree size   {proof.TreeSize}");
        Console.WriteLine($"leaf hash   {VerifiableLog.Base64(proof.LeafHash)}");
        Console.WriteLine($"root        {VerifiableLog.Base64(proof.RootHash)}");
        PrintPath(path);
        PrintNote("checkpoint", proof.Checkpoint, proof.TreeSize);
    }

    private static void Print(ConsistencyProof proof, bool json)
    {
        var path = proof.Path.Select(h => VerifiableLog.Base64(h)).ToList();
        if (json)
        {
            Printer.Json(new
            {
                oldSize = proof.OldSize,
                newSize = proof.NewSize,
                oldRoot = VerifiableLog.Base64(proof.OldRoot),
                newRoot = VerifiableLog.Base64(proof.NewRoot),
                path,
                oldCheckpoint = proof.OldCheckpoint?.Note,
                newCheckpoint = proof.NewCheckpoint?.Note,
            });
            return;
        }

        Console.WriteLine($"old size    {proof.OldSize}");
        Console.WriteLine($"old root    {VerifiableLog.Base64(proof.OldRoot)}");
        Console.WriteLine($"new size    {proof.NewSize}");
        Console.WriteLine($"new root    {VerifiableLog.Base64(proof.NewRoot)}");
        PrintPath(path);
        PrintNote("old checkpoint", proof.OldCheckpoint, proof.OldSize);
        PrintNote("new checkpoint", proof.NewCheckpoint, proof.NewSize);
    }

    private static void PrintPath(List<string> path)
    {
        Console.WriteLine($"path        {(path.Count == 0 ? "(empty)" : path[0])}");
        foreach (var hash in path.Skip(1))
        {
            Console.WriteLine($"            {hash}");
        }
    }

    private static void PrintNote(string label, StoredCheckpoint? checkpoint, long size)
    {
        if (checkpoint is null)
        {
            Console.WriteLine($"{label}: none signed at size {size}");
            return;
        }

        Console.WriteLine($"{label}:");
        Console.Write(checkpoint.Note);
    }
}
