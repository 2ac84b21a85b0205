using System.Diagnostics;
using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Ledger.Bench.Postgres;
using Ledger.Storage;
using Ledger.Store.Marten;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// Import throughput on the Marten backend against Marten alone and against raw binary COPY of the same rows.
/// Runs alternate (ledger, Marten, COPY, ...) each in a fresh database so drift of the machine hits all three.
/// </summary>
internal sealed class MartenImportThroughputScenario : IScenario
{
    public const double Target = 0.9;

    /// <summary>Events rows compared between the ledger's and Marten direct's databases: about the first ten documents.</summary>
    private const int SampleRows = 1_000;

    public string Name => "marten-import-throughput";

    /// <summary>Every durable commit waits for PostgreSQL's fsync, so a fifth of the SQLite scenarios' statements keeps the run short.</summary>
    public static int Statements(BenchOptions options) => Math.Max(1, options.Statements / 5);

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (PostgresServer.WhyUnavailable() is { } reason)
        {
            BenchContext.Progress($"skipped: {reason}");
            return ScenarioResult.Skip(Name, reason);
        }

        BenchContext.Progress($"generating {Statements(context.Options):N0} statements (seed {DisclosureGenerator.DefaultSeed})");
        // Two documents per matter (100 matters with the defaults), so both StartStream and Append are measured.
        var documentCount = (Statements(context.Options) + 99) / 100;
        var documents = new DisclosureGenerator().Spread(Statements(context.Options), perDocument: 100, matters: Math.Clamp(documentCount / 2, 1, 100));
        var statements = documents.Statements;
        await using var server = await PostgresServer.StartAsync(cancellationToken);
        var description = await server.DescribeAsync(cancellationToken);
        BenchContext.Progress(description);

        await WarmUpAsync(server, documents, cancellationToken);
        var ledgerRuns = new List<LedgerRun>();
        var martenRuns = new List<MartenRun>();
        var preparedRuns = new List<MartenRun>();
        var copyRuns = new List<TimeSpan>();
        IReadOnlyList<StoredEvent[]>? transactions = null;
        IReadOnlyList<MartenAppend>? appends = null;
        IReadOnlyList<string>? sample = null;
        for (var run = 1; run <= context.Options.Runs; run++)
        {
            var ledger = await LedgerAsync(server, documents, $"ledger{run}", transactions is null, cancellationToken);
            ledgerRuns.Add(ledger);
            BenchContext.Progress($"ledger run {run}: {Rate(statements, ledger.Timing.Total):N0} statements/s ({ledger.Timing.Total.TotalSeconds:F2} s{Processor(ledger.Timing.Cpu, ledger.Server)})");

            transactions ??= ledger.Rows!;
            sample ??= ledger.Sample!;
            appends ??= MartenDirectImport.Appends(transactions);
            var marten = await MartenAsync(server, appends, sample, $"marten{run}", cancellationToken);
            martenRuns.Add(marten);
            BenchContext.Progress($"Marten direct run {run}: {Rate(statements, marten.Elapsed):N0} statements/s ({marten.Elapsed.TotalSeconds:F2} s{Processor(marten.Cpu, marten.Server)})");

            var prepared = await MartenAsync(server, appends, sample, $"martenprepared{run}", cancellationToken, MartenEventStore.WithAutoPrepare);
            preparedRuns.Add(prepared);
            BenchContext.Progress($"Marten direct, auto-prepared, run {run}: {Rate(statements, prepared.Elapsed):N0} statements/s ({prepared.Elapsed.TotalSeconds:F2} s)");

            var copy = await CopyAsync(server, transactions, $"copy{run}", cancellationToken);
            copyRuns.Add(copy);
            BenchContext.Progress($"COPY run {run}: {Rate(statements, copy):N0} statements/s ({copy.TotalSeconds:F2} s)");
        }

        var best = ledgerRuns.MinBy(r => r.Timing.Total)!;
        var bestLedger = best.Timing.Total;
        var bestMarten = martenRuns.Min(r => r.Elapsed);
        var bestPrepared = preparedRuns.Min(r => r.Elapsed);
        var bestCopy = copyRuns.Min();
        var count = transactions!.Count;
        var rows = transactions.Sum(t => t.Length);
        var store = best.Store;
        var figures = new List<Figure>
        {
            new("statements", statements, "count", $"{documents.Documents.Count:N0} documents over {documents.Matters.Count} matters; {rows:N0} rows with MatterOpened"),
            new("transactions", count, "count", "one per document, for every variant"),
            new("ledger, best run", Rate(statements, bestLedger), "statements/s", $"{bestLedger.TotalSeconds:F2} s, {PerDocument(bestLedger, count)}"),
            new("Marten direct, best run", Rate(statements, bestMarten), "statements/s", $"{bestMarten.TotalSeconds:F2} s, {PerDocument(bestMarten, count)}"),
            new("raw COPY, best run", Rate(statements, bestCopy), "statements/s", $"{bestCopy.TotalSeconds:F2} s, {PerDocument(bestCopy, count)}"),
            new("ledger / Marten direct, median of runs", Median(ledgerRuns.Zip(martenRuns, (l, m) => m.Elapsed / l.Timing.Total)), "x",
                "no target: each run's ratio to the Marten direct run beside it, so drift of the machine hits both"),
            new("Marten direct, auto-prepared, best run", Rate(statements, bestPrepared), "statements/s",
                $"{bestPrepared.TotalSeconds:F2} s, {PerDocument(bestPrepared, count)}: Marten alone on the ledger's connection settings (Max Auto Prepare, MartenEventStore.WithAutoPrepare)"),
            new("ledger / Marten direct auto-prepared, best runs", bestPrepared / bestLedger, "x",
                "no target: like for like on connection settings, so what remains is the ledger's own work (reads before each append, receipts, validation)"),
            new("ledger / Marten direct auto-prepared, median of runs", Median(ledgerRuns.Zip(preparedRuns, (l, m) => m.Elapsed / l.Timing.Total)), "x", "no target"),
            new("ledger / raw COPY", bestCopy / bestLedger, "x", "no target: what Marten and the ledger cost together over the floor"),
            new("Marten direct / raw COPY", bestCopy / bestMarten, "x", "no target: what Marten alone costs over the floor"),
            new("ledger, inside AppendAsync", 100 * store.Append / bestLedger, "%",
                $"of the best ledger run: {PerDocument(store.Append, store.Appends)} over {store.Appends} appends (all the store does per document: session, events, its own rows, SaveChangesAsync)"),
            new("ledger, inside ReadStreamAsync", 100 * store.ReadStream / bestLedger, "%",
                $"of the best ledger run: {PerDocument(store.ReadStream, store.ReadStreams)} over {store.ReadStreams} calls (the handler loading the matter); overlaps the previous append"),
            new("ledger, inside FindStatementsAsync", 100 * store.FindStatements / bestLedger, "%",
                $"of the best ledger run: {PerDocument(store.FindStatements, store.Finds)} over {store.Finds} calls (the handler looking up the document's ids); overlaps the previous append"),
            new("ledger, splitting the input into documents", 100 * best.Timing.Reading / bestLedger, "%", "of the best ledger run: DisclosureReader.Read; validation then overlaps the appends"),
            new("ledger, GC pauses", 100 * best.Timing.GcPause / bestLedger, "%",
                $"of the best ledger run: {best.Timing.GcPause.TotalSeconds:F2} s in {best.Timing.Gen0}/{best.Timing.Gen1}/{best.Timing.Gen2} gen0/1/2 collections"),
            new("ledger, processor time per document, this process", Median(ledgerRuns.Select(r => r.Timing.Cpu.TotalMilliseconds / count)), "ms",
                "median of runs, all threads: reading, validating, deciding, hashing, Marten's session; it competes with PostgreSQL for the cores"),
            new("Marten direct, processor time per document, this process", Median(martenRuns.Select(r => r.Cpu.TotalMilliseconds / count)), "ms", "median of runs"),
        };
        if (ledgerRuns.All(r => r.Server is not null) && martenRuns.All(r => r.Server is not null))
        {
            figures.Add(new("ledger, processor time per document, PostgreSQL", Median(ledgerRuns.Select(r => r.Server!.Value.TotalMilliseconds / count)), "ms",
                "median of runs: the throwaway cluster's processes, ended backends included"));
            figures.Add(new("Marten direct, processor time per document, PostgreSQL", Median(martenRuns.Select(r => r.Server!.Value.TotalMilliseconds / count)), "ms", "median of runs"));
        }

        for (var run = 0; run < ledgerRuns.Count; run++)
        {
            figures.Add(new($"ledger, run {run + 1}", Rate(statements, ledgerRuns[run].Timing.Total), "statements/s", $"{ledgerRuns[run].Timing.Total.TotalSeconds:F2} s{Processor(ledgerRuns[run].Timing.Cpu, ledgerRuns[run].Server)}"));
            figures.Add(new($"Marten direct, run {run + 1}", Rate(statements, martenRuns[run].Elapsed), "statements/s", $"{martenRuns[run].Elapsed.TotalSeconds:F2} s{Processor(martenRuns[run].Cpu, martenRuns[run].Server)}"));
            figures.Add(new($"Marten direct auto-prepared, run {run + 1}", Rate(statements, preparedRuns[run].Elapsed), "statements/s", $"{preparedRuns[run].Elapsed.TotalSeconds:F2} s"));
            figures.Add(new($"raw COPY, run {run + 1}", Rate(statements, copyRuns[run]), "statements/s", $"{copyRuns[run].TotalSeconds:F2} s"));
        }

        return new ScenarioResult(
            Name,
            "Statements per second imported from JSON text through DisclosureReader, ImportDocument and ImportPipeline (as `ledger import` runs it) into a MartenEventStore on a fresh database, "
                + "beside Marten alone appending the very same typed events (session.Events.StartStream/Append, same serializer, stream keys, event type names and organization header, "
                + "the same schema with the inline read models and the unique index on statement ids, one session and SaveChangesAsync per document) and binary COPY of the very same rows into a plain table (one COPY and transaction per document), "
                + $"each in a fresh database. {description}.",
            figures,
            [new Check("import throughput on Marten, ledger / Marten direct", bestMarten / bestLedger, Target)]);
    }

    private sealed record LedgerRun(ImportTiming Timing, TimeSpan? Server, StoreTimes Store, IReadOnlyList<StoredEvent[]>? Rows, IReadOnlyList<string>? Sample);

    /// <summary>A Marten direct run: its time, this process's processor time over it, and the cluster's (null for a given server).</summary>
    private sealed record MartenRun(TimeSpan Elapsed, TimeSpan Cpu, TimeSpan? Server);

    /// <summary>
    /// All three once on every document of a fifth of the matters (at least five), so no measured run pays for Marten's
    /// first code generation or runs much of its code before tiered JIT compilation has optimized it. Whole matters,
    /// because the first documents are each a matter's first: the warm-up must append to open streams too.
    /// </summary>
    private static async Task WarmUpAsync(PostgresServer server, DocumentSet documents, CancellationToken cancellationToken)
    {
        var matters = documents.Matters.Take(Math.Max(5, documents.Matters.Count / 5)).ToHashSet(StringComparer.Ordinal);
        var few = new DocumentSet(documents.Documents.Where(d => matters.Contains(d.Matter)).ToList());
        BenchContext.Progress($"warming up on {few.Statements:N0} statements");
        var ledger = await LedgerAsync(server, few, "warmup_ledger", true, cancellationToken);
        await MartenAsync(server, MartenDirectImport.Appends(ledger.Rows!), ledger.Sample!, "warmup_marten", cancellationToken);
        await CopyAsync(server, ledger.Rows!, "warmup_copy", cancellationToken);
    }

    private static async Task<LedgerRun> LedgerAsync(PostgresServer server, DocumentSet documents, string label, bool readRows, CancellationToken cancellationToken)
    {
        var database = await server.CreateDatabaseAsync(label, cancellationToken);
        try
        {
            await using var store = new TimedEventStore(await MartenEventStore.OpenAsync(database, cancellationToken: cancellationToken));
            BenchContext.Settle();
            var server0 = server.ProcessorTime();
            var timing = await LedgerImport.RunAsync(store, documents, cancellationToken);
            var serverTime = server.ProcessorTime() - server0;
            var times = store.Times;
            var rows = readRows ? await DocumentRows.ReadAsync(store, documents.RowsPerDocument(), cancellationToken) : null;
            var sample = readRows ? await MartenDirectImport.SampleAsync(database, SampleRows, cancellationToken) : null;
            return new LedgerRun(timing, serverTime, times, rows, sample);
        }
        finally
        {
            await server.DropDatabaseAsync(database, cancellationToken);
        }
    }

    private static async Task<MartenRun> MartenAsync(
        PostgresServer server, IReadOnlyList<MartenAppend> appends, IReadOnlyList<string> ledgerSample, string label, CancellationToken cancellationToken,
        Func<string, string>? connectionSettings = null)
    {
        var database = await server.CreateDatabaseAsync(label, cancellationToken);
        try
        {
            MartenRun run;
            using (var store = await MartenDirectImport.OpenAsync(connectionSettings is null ? database : connectionSettings(database)))
            {
                BenchContext.Settle();
                var (server0, cpu0) = (server.ProcessorTime(), Process.GetCurrentProcess().TotalProcessorTime);
                var elapsed = await MartenDirectImport.RunAsync(store, appends, cancellationToken);
                run = new MartenRun(elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu0, server.ProcessorTime() - server0);
            }

            var stored = await MartenDirectImport.CountEventsAsync(database, cancellationToken);
            var expected = appends.Sum(a => a.Events.Length);
            if (stored != expected)
            {
                throw new InvalidOperationException($"Marten direct stored {stored} events, expected {expected}");
            }

            // The comparison is only fair while both write the same rows.
            var sample = await MartenDirectImport.SampleAsync(database, SampleRows, cancellationToken);
            var differs = Enumerable.Range(0, Math.Max(sample.Count, ledgerSample.Count))
                .FirstOrDefault(i => i >= sample.Count || i >= ledgerSample.Count || sample[i] != ledgerSample[i], -1);
            if (differs >= 0)
            {
                throw new InvalidOperationException(
                    "Marten direct no longer writes the ledger's events rows; keep MartenDirectImport.OpenAsync in step with MartenEventStore.OpenAsync"
                    + $"{Environment.NewLine}ledger: {ledgerSample.ElementAtOrDefault(differs)}{Environment.NewLine}Marten: {sample.ElementAtOrDefault(differs)}");
            }

            return run;
        }
        finally
        {
            await server.DropDatabaseAsync(database, cancellationToken);
        }
    }

    private static async Task<TimeSpan> CopyAsync(PostgresServer server, IReadOnlyList<StoredEvent[]> transactions, string label, CancellationToken cancellationToken)
    {
        var database = await server.CreateDatabaseAsync(label, cancellationToken);
        try
        {
            BenchContext.Settle();
            return await RawPostgresCopy.InsertAsync(database, transactions, cancellationToken);
        }
        finally
        {
            await server.DropDatabaseAsync(database, cancellationToken);
        }
    }

    private static string Processor(TimeSpan client, TimeSpan? server) =>
        $", processor {client.TotalSeconds:F2} s here" + (server is { } s ? $" and {s.TotalSeconds:F2} s in PostgreSQL" : string.Empty);

    private static string PerDocument(TimeSpan elapsed, int count) => $"{elapsed.TotalMilliseconds / Math.Max(1, count):F1} ms per document";

    private static double Rate(int statements, TimeSpan elapsed) => statements / elapsed.TotalSeconds;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
