using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// Embedded import throughput against the floor SQLite sets for the same durable rows. Runs alternate
/// (ledger, raw, ledger, raw, ...) in fresh files so drift of the machine hits both; the best of each counts.
/// </summary>
internal sealed class ImportThroughputScenario : IScenario
{
    public const double Target = 0.5;

    public string Name => "import-throughput";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var documents = context.Documents;
        var statements = documents.Statements;
        IReadOnlyList<RawRow[]>? transactions = null;
        var ledgerRuns = new List<ImportTiming>();
        var rawRuns = new List<TimeSpan>();
        await WarmUpAsync(context, cancellationToken);
        for (var run = 1; run <= context.Options.Runs; run++)
        {
            var ledgerFile = context.NewFile($"ledger-run{run}");
            BenchContext.Settle();
            var ledger = await LedgerImport.RunAsync(ledgerFile, documents, cancellationToken);
            ledgerRuns.Add(ledger);
            context.ImportedLedger = ledgerFile;
            BenchContext.Progress($"ledger run {run}: {Rate(statements, ledger.Total):N0} statements/s ({ledger.Total.TotalSeconds:F2} s)");

            transactions ??= await RawSqliteBaseline.TransactionsAsync(ledgerFile, documents.RowsPerDocument(), cancellationToken);
            BenchContext.Settle();
            var raw = RawSqliteBaseline.Insert(context.NewFile($"raw-run{run}"), transactions);
            rawRuns.Add(raw);
            BenchContext.Progress($"raw run {run}: {Rate(statements, raw):N0} statements/s ({raw.TotalSeconds:F2} s)");
        }

        var bestLedger = ledgerRuns.MinBy(r => r.Total)!;
        var bestRaw = rawRuns.Min();
        var rows = transactions!.Sum(t => t.Length);
        var figures = new List<Figure>
        {
            new("statements", statements, "count", $"{documents.Documents.Count:N0} documents over {documents.Matters.Count} matters; {rows:N0} rows with MatterOpened"),
            new("transactions", transactions!.Count, "count", "one per document, for both variants"),
            new("ledger, best run", Rate(statements, bestLedger.Total), "statements/s", $"{bestLedger.Total.TotalSeconds:F2} s"),
            new("raw SQLite, best run", Rate(statements, bestRaw), "statements/s", $"{bestRaw.TotalSeconds:F2} s"),
            new("ledger, splitting the input into documents", 100 * bestLedger.Reading / bestLedger.Total, "%", "of the best ledger run: DisclosureReader.Read; validation then overlaps the appends"),
            new("ledger, GC pauses", 100 * bestLedger.GcPause / bestLedger.Total, "%",
                $"of the best ledger run: {bestLedger.GcPause.TotalSeconds:F2} s in {bestLedger.Gen0}/{bestLedger.Gen1}/{bestLedger.Gen2} gen0/1/2 collections"),
        };
        for (var run = 0; run < ledgerRuns.Count; run++)
        {
            figures.Add(new($"ledger, run {run + 1}", Rate(statements, ledgerRuns[run].Total), "statements/s", $"{ledgerRuns[run].Total.TotalSeconds:F2} s"));
            figures.Add(new($"raw SQLite, run {run + 1}", Rate(statements, rawRuns[run]), "statements/s", $"{rawRuns[run].TotalSeconds:F2} s"));
        }

        return new ScenarioResult(
            Name,
            "Statements per second imported from JSON text through DisclosureReader, ImportDocument and ImportPipeline (as `ledger import` runs it) into a fresh SqliteEventStore, "
                + "beside prepared INSERTs of the very same rows into a fresh file with the same table, indexes and pragmas (WAL, synchronous=FULL), one transaction per document.",
            figures,
            [new Check("import throughput, ledger / raw SQLite", bestRaw / bestLedger.Total, Target)]);
    }

    /// <summary>Both paths once on a few documents, so neither measured run pays for JIT compilation or first file growth.</summary>
    private static async Task WarmUpAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var few = new DocumentSet(context.Documents.Documents.Take(20).ToList());
        var ledgerFile = context.NewFile("warm-up-ledger");
        BenchContext.Progress($"warming up on {few.Statements:N0} statements");
        await LedgerImport.RunAsync(ledgerFile, few, cancellationToken);
        RawSqliteBaseline.Insert(context.NewFile("warm-up-raw"), await RawSqliteBaseline.TransactionsAsync(ledgerFile, few.RowsPerDocument(), cancellationToken));
    }

    private static double Rate(int statements, TimeSpan elapsed) => statements / elapsed.TotalSeconds;
}
