using System.Diagnostics;
using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Ledger.Bench.Reporting;
using Ledger.Store.Sqlite;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// The stored read side of the embedded ledger at scale: one matter per document over many matters (1,000,000
/// statements in 100,000 matters by default), read through the server beside its trivial endpoint under the same load;
/// a cold `ledger matters`; the rebuild of every read model; and, on a smaller set, what keeping the read models costs
/// the import, round by round.
/// </summary>
internal sealed class ReadSideScenario : IScenario
{
    public const double ThroughputTarget = 0.5;
    public const double AppendTarget = 0.85;

    public string Name => "read-side";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var quick = context.Options.Quick;
        var (statements, matters) = quick ? (50_000, 5_000) : (1_000_000, 100_000);
        BenchContext.Progress($"generating {statements:N0} statements in {matters:N0} matters");
        var documents = new DisclosureGenerator(DisclosureGenerator.DefaultSeed + 3).Spread(statements, statements / matters, matters);
        var ledger = context.NewFile("read-side");
        BenchContext.Progress("importing them with the read models kept by every append");
        var import = await LedgerImport.RunAsync(ledger, documents, cancellationToken);
        BenchContext.Progress($"imported in {import.Total.TotalSeconds:F1} s");
        documents = null;

        BenchContext.Settle();
        var loads = await ReadSideServing.MeasureAsync($"sqlite:{ledger}", quick, cancellationToken);
        var cold = ColdMatters(ledger);
        var rebuild = await RebuildAsync(ledger, cancellationToken);
        BenchContext.Delete(ledger);

        var append = await AppendCostAsync(context, quick, quick ? 1 : Math.Max(5, context.Options.Runs), cancellationToken);
        List<Figure> figures =
        [
            new("statements", statements, "count", $"{matters:N0} matters, one document of {statements / matters} statements each"),
            new("import with the read models", statements / import.Total.TotalSeconds, "statements/s", $"{import.Total.TotalSeconds:F1} s"),
            .. ReadSideServing.Figures(loads),
            new("ledger matters --limit 50, cold", cold?.TotalMilliseconds ?? double.NaN, "ms",
                cold is null ? "not measured: build src/Ledger.Cli first (dotnet build -c Release)" : "a new process of the built CLI, wall time; target under 1,000 ms"),
            new("rebuild of every read model", rebuild.Matters / rebuild.Elapsed.TotalSeconds, "matters/s",
                $"{rebuild.Matters:N0} matters, {statements / rebuild.Elapsed.TotalSeconds:N0} statements/s, {rebuild.Elapsed.TotalSeconds:F1} s"),
            new("append cost: with / without the read models (median of rounds)", append.Median, "x", "rounds: " + Join(append.Ratios)),
        ];
        return new ScenarioResult(
            Name,
            "The server (Kestrel, in this process, without its embedded worker, whose relay would otherwise still be announcing the imported events) on a SQLite ledger of the statements above, reads served from the stored read models, an answer served again while the log position and the day stay the same (the repeated paths), or made anew (a future asOf): "
                + $"{HttpLoad.Concurrency} concurrent client loops on loopback per path, the paths alternating run by run, GET /health/live the trivial endpoint of the same server. "
                + "The cold list is a fresh process of the built CLI. The rebuild empties the read models and folds every matter again. "
                + "The append cost imports the same smaller set into fresh files with and without the read models, the first variant alternating.",
            figures,
            [
                .. ReadSideServing.Checks(loads, ThroughputTarget),
                new Check("import with the read models / without (median of rounds)", append.Median, AppendTarget),
            ]);
    }

    /// <summary>`ledger matters --limit 50` as a new process of the built CLI, best of three; null when the CLI is not built.</summary>
    private static TimeSpan? ColdMatters(string ledger)
    {
        var cli = Path.Combine(RepositoryRoot.Find(), "src", "Ledger.Cli", "bin", "Release", "net10.0", OperatingSystem.IsWindows() ? "ledger.exe" : "ledger");
        if (!File.Exists(cli))
        {
            return null;
        }

        var best = TimeSpan.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var started = Stopwatch.StartNew();
            using var process = Process.Start(new ProcessStartInfo(cli, ["--store", $"sqlite:{ledger}", "matters", "--limit", "50", "--json"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var elapsed = started.Elapsed;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"ledger matters exited {process.ExitCode}: {process.StandardError.ReadToEnd()}");
            }

            best = elapsed < best ? elapsed : best;
        }

        BenchContext.Progress($"cold ledger matters --limit 50: {best.TotalMilliseconds:F0} ms");
        return best;
    }

    internal static async Task<(int Matters, TimeSpan Elapsed)> RebuildAsync(string ledger, CancellationToken cancellationToken)
    {
        BenchContext.Settle();
        await using var store = await SqliteEventStore.OpenAsync(ledger, cancellationToken);
        var matters = 0;
        var clock = Stopwatch.StartNew();
        await store.RebuildReadModelsAsync(new SynchronousProgress(p => matters = p.Total), cancellationToken);
        clock.Stop();
        BenchContext.Progress($"rebuilt the read models of {matters:N0} matters in {clock.Elapsed.TotalSeconds:F1} s");
        return (matters, clock.Elapsed);
    }

    internal static string Join(IEnumerable<double> ratios) => string.Join(", ", ratios.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));

    internal static async Task<AppendCost> AppendCostAsync(BenchContext context, bool quick, int runs, CancellationToken cancellationToken)
    {
        var (statements, matters) = quick ? (10_000, 1_000) : (100_000, 10_000);
        var documents = new DisclosureGenerator(DisclosureGenerator.DefaultSeed + 4).Spread(statements, statements / matters, matters);
        foreach (var readModels in new[] { true, false })
        {
            var path = context.NewFile("read-models-warm-up");
            await LedgerImport.RunAsync(path, documents, new SqliteStoreOptions { ReadModels = readModels }, cancellationToken);
            BenchContext.Delete(path);
        }

        var ratios = new List<double>();
        var best = new Dictionary<bool, TimeSpan> { [true] = TimeSpan.MaxValue, [false] = TimeSpan.MaxValue };
        for (var run = 1; run <= runs; run++)
        {
            var times = new Dictionary<bool, TimeSpan>();
            foreach (var readModels in run % 2 == 1 ? new[] { true, false } : [false, true])
            {
                BenchContext.Settle();
                var path = context.NewFile($"read-models-{(readModels ? "with" : "without")}-run{run}");
                times[readModels] = (await LedgerImport.RunAsync(path, documents, new SqliteStoreOptions { ReadModels = readModels }, cancellationToken)).Total;
                best[readModels] = times[readModels] < best[readModels] ? times[readModels] : best[readModels];
                BenchContext.Delete(path);
            }

            ratios.Add(times[false] / times[true]);
            BenchContext.Progress($"append cost, run {run}: with {statements / times[true].TotalSeconds:N0} statements/s, without {statements / times[false].TotalSeconds:N0} statements/s, ratio {ratios[^1]:F2}");
        }

        var sorted = ratios.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        return new AppendCost(statements, matters, statements / best[true].TotalSeconds, statements / best[false].TotalSeconds, median, ratios);
    }

    internal sealed record AppendCost(int Statements, int Matters, double With, double Without, double Median, IReadOnlyList<double> Ratios);

    /// <summary>Reports on the caller's thread: the rebuild's last report is seen before it returns.</summary>
    private sealed class SynchronousProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
