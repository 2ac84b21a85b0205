using System.Diagnostics;
using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Ledger.Projections;
using Ledger.Storage;
using Ledger.Store.Sqlite;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// Latency of `ledger status` without the printing: read the matter's stream, build its timeline, fold and render.
/// Once for a matter of the imported ledger, once for a big matter imported beside it.
/// </summary>
internal sealed class StatusLatencyScenario : IScenario
{
    public string Name => "status-latency";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var ledger = await context.ImportedLedgerAsync(cancellationToken);
        var documents = context.Documents;
        var typical = documents.Matters[0];
        var typicalStatements = documents.Documents.Where(d => d.Matter == typical).Sum(d => d.Statements);

        var big = new DisclosureGenerator(DisclosureGenerator.DefaultSeed + 1).SingleMatter(Math.Max(100, documents.Statements / 10), documents: 100);
        var bigMatter = big.Matters.Single();
        BenchContext.Settle();
        var bigImport = await LedgerImport.RunAsync(ledger, big, cancellationToken);
        BenchContext.Progress($"big matter: {big.Statements:N0} statements in {big.Documents.Count} documents imported in {bigImport.Total.TotalSeconds:F2} s");

        var quick = context.Options.Quick;
        BenchContext.Settle();
        await using var store = await SqliteEventStore.OpenAsync(ledger, cancellationToken);
        var asOf = DateTimeOffset.UtcNow;
        var typicalLatency = await MeasureAsync(store, typical, typicalStatements, asOf, quick ? 100 : 500, TimeSpan.FromSeconds(quick ? 10 : 30), cancellationToken);
        BenchContext.Progress($"status of {typical}: p50 {typicalLatency.P50:F2} ms, p99 {typicalLatency.P99:F2} ms ({typicalLatency.Count} runs)");
        var bigLatency = await MeasureAsync(store, bigMatter, big.Statements, asOf, quick ? 20 : 100, TimeSpan.FromSeconds(quick ? 15 : 60), cancellationToken);
        BenchContext.Progress($"status of {bigMatter}: p50 {bigLatency.P50:F2} ms, p99 {bigLatency.P99:F2} ms ({bigLatency.Count} runs)");

        return new ScenarioResult(
            Name,
            "Milliseconds to build one matter's status from the store: ReadStreamAsync, MatterTimeline.Build, then MatterViews.Status (fold and render), "
                + "on the ledger imported above; p50 and p99 over repeated runs after a warm-up.",
            [
                .. Figures($"{typical} ({typicalStatements:N0} statements)", typicalLatency),
                .. Figures($"{bigMatter} ({big.Statements:N0} statements, big matter)", bigLatency),
                new("big matter import", big.Statements / bigImport.Total.TotalSeconds, "statements/s", $"{big.Documents.Count} documents into the imported ledger, {bigImport.Total.TotalSeconds:F2} s"),
            ],
            []);
    }

    private static IEnumerable<Figure> Figures(string matter, Latency latency)
    {
        var runs = $"{latency.Count} runs";
        yield return new Figure($"status {matter}, p50", latency.P50, "ms", runs);
        yield return new Figure($"status {matter}, p99", latency.P99, "ms", $"{runs}, max {latency.Max:F2} ms");
    }

    private sealed record Latency(int Count, double P50, double P99, double Max);

    /// <summary>Repeats until <paramref name="repetitions"/> or the time budget, whichever comes first, but at least 10 times.</summary>
    private static async Task<Latency> MeasureAsync(
        IEventStore store, string matter, int statements, DateTimeOffset asOf, int repetitions, TimeSpan budget, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 3; i++)
        {
            await StatusAsync(store, matter, statements, asOf, cancellationToken);
        }

        var samples = new List<double>(repetitions);
        var spent = Stopwatch.StartNew();
        while (samples.Count < repetitions && (samples.Count < 10 || spent.Elapsed < budget))
        {
            samples.Add(await StatusAsync(store, matter, statements, asOf, cancellationToken));
        }

        samples.Sort();
        return new Latency(samples.Count, Percentile(samples, 50), Percentile(samples, 99), samples[^1]);
    }

    private static async Task<double> StatusAsync(IEventStore store, string matter, int statements, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var events = new List<Recorded>();
        await foreach (var stored in store.ReadStreamAsync(matter, 1, cancellationToken))
        {
            events.Add(EventEnvelope.ToRecorded(stored));
        }

        var status = MatterViews.Status(events, asOf);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        return status?.Statements == statements
            ? elapsed
            : throw new InvalidOperationException($"status of {matter} counts {status?.Statements} statements, expected {statements}");
    }

    /// <summary>Nearest rank on sorted samples.</summary>
    private static double Percentile(List<double> sorted, int percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
