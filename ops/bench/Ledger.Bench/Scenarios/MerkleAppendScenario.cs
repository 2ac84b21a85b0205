using Ledger.Bench.Imports;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// What the Merkle tree costs the embedded import: the same documents into fresh files with the tree written by every
/// append and without it, round by round after an untimed round of each, the first variant alternating, so that drift of
/// the machine hits both. The check is the
/// median over the rounds of each round's ratio: on a shared machine one lucky run of either variant decides a best-of ratio.
/// </summary>
internal sealed class MerkleAppendScenario : IScenario
{
    public const double Target = 0.9;

    public string Name => "merkle-append";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var documents = context.Documents;
        var statements = documents.Statements;
        // A full-size round of each variant first, not timed: the first import of a size still runs code the JIT has not
        // tiered up, which cost the variant that went first about twice the processor time of later rounds.
        BenchContext.Progress($"warming up: one untimed round of each variant on {statements:N0} statements");
        foreach (var merkleTree in new[] { true, false })
        {
            var path = context.NewFile($"merkle-warm-up-{(merkleTree ? "with" : "without")}");
            await LedgerImport.RunAsync(path, documents, merkleTree, cancellationToken);
            BenchContext.Delete(path);
        }

        var with = new List<ImportTiming>();
        var without = new List<ImportTiming>();
        // The difference measured is small against the drift of a shared machine: at least five rounds, and the variant
        // that goes first alternates, so that neither always runs in the wake of the other.
        for (var run = 1; run <= Math.Max(5, context.Options.Runs); run++)
        {
            foreach (var merkleTree in run % 2 == 1 ? new[] { true, false } : [false, true])
            {
                BenchContext.Settle();
                var path = context.NewFile($"merkle-{(merkleTree ? "with" : "without")}-run{run}");
                var timing = await LedgerImport.RunAsync(path, documents, merkleTree, cancellationToken);
                BenchContext.Delete(path);
                (merkleTree ? with : without).Add(timing);
                BenchContext.Progress($"{(merkleTree ? "with" : "without")} the tree, run {run}: {Rate(statements, timing.Total):N0} statements/s ({timing.Total.TotalSeconds:F2} s, {timing.Cpu.TotalSeconds:F2} s processor)");
            }
        }

        var bestWith = with.Min(r => r.Total);
        var bestWithout = without.Min(r => r.Total);
        var ratios = with.Zip(without, (w, o) => o.Total / w.Total).Order().ToList();
        var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
        var figures = new List<Figure>
        {
            new("statements", statements, "count", $"{documents.Documents.Count:N0} documents (one append each) over {documents.Matters.Count} matters"),
            new("with the tree, best run", Rate(statements, bestWith), "statements/s", $"{bestWith.TotalSeconds:F2} s"),
            new("without the tree, best run", Rate(statements, bestWithout), "statements/s", $"{bestWithout.TotalSeconds:F2} s"),
            new("best with / best without", bestWithout / bestWith, "x", "throughput ratio of the best runs"),
            new("median of the per-round ratios", median, "x", "with / without, round by round: " + string.Join(", ", ratios.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))),
        };
        for (var run = 0; run < with.Count; run++)
        {
            figures.Add(new($"with the tree, run {run + 1}", Rate(statements, with[run].Total), "statements/s", $"{with[run].Total.TotalSeconds:F2} s, {with[run].Cpu.TotalSeconds:F2} s processor"));
            figures.Add(new($"without the tree, run {run + 1}", Rate(statements, without[run].Total), "statements/s", $"{without[run].Total.TotalSeconds:F2} s, {without[run].Cpu.TotalSeconds:F2} s processor"));
        }

        return new ScenarioResult(
            Name,
            "Statements per second imported through the same path as import-throughput (DisclosureReader, ImportDocument, ImportPipeline) into a fresh SqliteEventStore, "
                + "once with the Merkle tree extended in every append transaction (leaf hashes of the RFC 8785 canonical events, leaf rows, stored nodes) and once opened without it.",
            figures,
            [new Check("import throughput, with the Merkle tree / without (median of rounds)", median, Target)]);
    }

    private static double Rate(int statements, TimeSpan elapsed) => statements / elapsed.TotalSeconds;
}
