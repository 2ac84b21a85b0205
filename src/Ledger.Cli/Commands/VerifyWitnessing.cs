using Ledger.Cli.Output;
using Ledger.Verification;
using Spectre.Console;

namespace Ledger.Cli.Commands;

/// <summary>`ledger verify --checkpoint … --witness-key … [--quorum k]`: the log's signature and a quorum of witnesses' cosignatures, offline.</summary>
internal static class CosignatureCheck
{
    public static async Task<int> RunAsync(NoteVerifier logKey, string[] noteFiles, string[] witnessKeys, int? quorum, bool json, CancellationToken cancellationToken)
    {
        var witnesses = witnessKeys.Select(WitnessKey).ToList();
        WitnessPolicy policy;
        try
        {
            policy = WitnessPolicy.Of(witnesses, quorum);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--quorum: {e.Message}");
        }

        var results = new List<object>();
        var failed = 0;
        foreach (var file in noteFiles)
        {
            var note = await File.ReadAllTextAsync(file, cancellationToken);
            string? problem = null;
            long? size = null;
            IReadOnlyList<Cosignature> cosigned = [];
            try
            {
                size = Checkpoint.Open(note, logKey.Name, [logKey]).Size;
                cosigned = Cosignatures.Verify(note, witnesses);
                if (cosigned.Count < policy.Quorum)
                {
                    problem = $"cosigned by {cosigned.Count} of the witnesses, fewer than the quorum of {policy.Quorum}";
                }
            }
            catch (NoteVerificationException e)
            {
                problem = e.Message;
            }

            failed += problem is null ? 0 : 1;
            results.Add(new { file, treeSize = size, ok = problem is null, problem, quorum = policy.Quorum, cosignedBy = cosigned.Select(c => new { witness = c.Witness, time = c.Time }) });
            if (!json)
            {
                var by = cosigned.Count == 0 ? "no witness" : string.Join(", ", cosigned.Select(c => $"{c.Witness} at {c.Time:u}"));
                AnsiConsole.MarkupLineInterpolated($"{(problem is null ? "ok  " : "FAIL")}  {file}: tree size {size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}, cosigned by {by}{(problem is null ? "" : $": {problem}")}");
            }
        }

        if (json)
        {
            Printer.Json(results);
        }

        if (failed == 0)
        {
            return ExitCodes.Ok;
        }

        Console.Error.WriteLine($"ledger: {failed} checkpoint(s) not witnessed by {policy.Quorum} of the {witnesses.Count} witness(es)");
        return ExitCodes.VerificationFailed;
    }

    /// <summary>A witness verifier key given as its text or as a file holding it.</summary>
    public static WitnessVerifier WitnessKey(string given)
    {
        var fromFile = File.Exists(given);
        try
        {
            return WitnessVerifier.Parse(fromFile ? File.ReadAllText(given) : given);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--witness-key {given}: {e.Message}{(fromFile ? "" : " (nor is it a file)")}");
        }
    }
}

/// <summary>`ledger verify --evidence FILE`: a monitor's split-view bundle, offline: both checkpoints verify under the log key and conflict.</summary>
internal static class EvidenceCheck
{
    public static async Task<int> RunAsync(string file, string? publicKey, bool json, CancellationToken cancellationToken)
    {
        SplitViewEvidence evidence;
        try
        {
            evidence = SplitViewEvidence.Parse(await File.ReadAllTextAsync(file, cancellationToken));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{file}: {e.Message}", e);
        }

        // The key to trust comes from the verifier; the bundle's own copy is used only when none is given.
        var key = VerifiableLog.PublicKey(publicKey ?? evidence.LogKey, () => throw new UsageException("--evidence needs the log's verifier key"));
        var problems = evidence.Check(key);
        if (json)
        {
            Printer.Json(new { file, ok = problems.Count == 0, origin = evidence.Origin, finding = evidence.Finding, problems, keyFromBundle = publicKey is null });
        }
        else if (problems.Count == 0)
        {
            Console.WriteLine($"verified: {file} proves a split view of {evidence.Origin}: {evidence.Finding}");
            if (publicKey is null)
            {
                Console.Error.WriteLine("note: checked with the log key the bundle carries; give --public-key to check with the key you trust");
            }
        }
        else
        {
            foreach (var problem in problems)
            {
                Console.WriteLine($"FAIL  {problem}");
            }
        }

        if (problems.Count == 0)
        {
            return ExitCodes.Ok;
        }

        Console.Error.WriteLine($"ledger: {file} does not prove a split view");
        return ExitCodes.VerificationFailed;
    }
}
