using System.Diagnostics;
using System.Text.Json;
using JasperFx.Events.Projections;
using Ledger.Bench.Corpus;
using Ledger.Bench.Imports;
using Ledger.Bench.Postgres;
using Ledger.Store.Marten;
using Ledger.Store.Marten.ReadModels;
using Marten;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// The stored read side on PostgreSQL through the Marten backend (200,000 statements in 20,000 matters by default):
/// read through the server beside its trivial endpoint under the same load, then the rebuild of every read model
/// against Marten's own rebuild of a single-stream projection folding each matter by the same fold, round by round.
/// </summary>
internal sealed class ReadSidePostgresScenario : IScenario
{
    public const double ThroughputTarget = 0.5;
    public const double RebuildTarget = 2;

    public string Name => "read-side-postgres";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (PostgresServer.WhyUnavailable() is { } reason)
        {
            BenchContext.Progress($"skipped: {reason}");
            return ScenarioResult.Skip(Name, reason);
        }

        var quick = context.Options.Quick;
        var (statements, matters) = quick ? (20_000, 2_000) : (200_000, 20_000);
        BenchContext.Progress($"generating {statements:N0} statements in {matters:N0} matters");
        var documents = new DisclosureGenerator(DisclosureGenerator.DefaultSeed + 5).Spread(statements, statements / matters, matters);
        await using var server = await PostgresServer.StartAsync(cancellationToken);
        var description = await server.DescribeAsync(cancellationToken);
        BenchContext.Progress(description);
        var database = await server.CreateDatabaseAsync("read_side", cancellationToken);
        var embedded = context.NewFile("read-side-postgres-embedded");
        try
        {
            BenchContext.Progress("importing the same documents into the embedded default (SQLite), for its rebuild");
            await LedgerImport.RunAsync(embedded, documents, cancellationToken);
            var import = await ImportAsync(database, documents, cancellationToken);
            documents = null;
            var events = await MartenDirectImport.CountEventsAsync(database, cancellationToken);

            BenchContext.Settle();
            var loads = await ReadSideServing.MeasureAsync($"postgres:{database}", quick, cancellationToken);
            var rounds = await RebuildRoundsAsync(database, matters, quick ? 2 : 3, cancellationToken);
            var sqlite = TimeSpan.MaxValue;
            for (var round = 0; round < (quick ? 2 : 3); round++)
            {
                var (_, elapsed) = await ReadSideScenario.RebuildAsync(embedded, cancellationToken);
                sqlite = elapsed < sqlite ? elapsed : sqlite;
            }

            var ours = rounds.Min(r => r.Ours);
            var martens = rounds.Min(r => r.Martens);
            var figures = new List<Figure>
            {
                new("statements", statements, "count", $"{matters:N0} matters, one document of {statements / matters} statements each; {events:N0} events with MatterOpened"),
                new("import with the read models", statements / import.TotalSeconds, "statements/s", $"{import.TotalSeconds:F1} s, one transaction per document"),
            };
            figures.AddRange(ReadSideServing.Figures(loads));
            figures.AddRange(
            [
                new("rebuild of every read model (ours), best round", matters / ours.TotalSeconds, "matters/s", $"{events / ours.TotalSeconds:N0} events/s, {ours.TotalSeconds:F1} s"),
                new("Marten's own projection rebuild, best round", matters / martens.TotalSeconds, "matters/s", $"{events / martens.TotalSeconds:N0} events/s, {martens.TotalSeconds:F1} s"),
                new("rebuild of every read model on the embedded default (SQLite), best round", matters / sqlite.TotalSeconds, "matters/s", $"{events / sqlite.TotalSeconds:N0} events/s, {sqlite.TotalSeconds:F1} s"),
            ]);
            for (var round = 0; round < rounds.Count; round++)
            {
                var (o, m) = rounds[round];
                figures.Add(new($"rebuild round {round + 1}: ours / Marten's", m / o, "x", $"ours {o.TotalSeconds:F1} s, Marten's {m.TotalSeconds:F1} s, {(round % 2 == 0 ? "ours" : "Marten's")} first"));
            }

            return new ScenarioResult(
                Name,
                "The server (Kestrel, in this process, without its embedded worker) on a Marten ledger of the statements above, imported through the import pipeline as `ledger import` does; "
                    + $"reads served from the stored read models: {HttpLoad.Concurrency} concurrent client loops on loopback per path, the paths alternating run by run, GET /health/live the trivial endpoint of the same server. "
                    + "Ours: MartenEventStore.RebuildReadModelsAsync empties every read model (matters, promises, organizations) and folds every matter again. "
                    + "Marten's: a single-stream projection registered by the bench alone, in a second DocumentStore on the same database and events, folding each matter's status and row with the same fold (MatterReadModel.Of) into one document per matter, "
                    + "rebuilt by Marten's async daemon (IProjectionDaemon.RebuildProjectionAsync) with Marten's default settings. The two rebuilds alternate, the first alternating round by round; "
                    + "a sample of the matters' statuses must agree between them. "
                    + $"The embedded default's rebuild (SqliteEventStore.RebuildReadModelsAsync) runs on a SQLite ledger of the same documents, after the PostgreSQL rounds. {description}.",
                figures,
                [
                    .. ReadSideServing.Checks(loads, ThroughputTarget),
                    new Check("rebuild of the read models, ours on PostgreSQL / Marten's own (best rounds)", martens / ours, RebuildTarget),
                    new Check("rebuild of the read models, ours on the embedded default / Marten's own (best rounds)", martens / sqlite, RebuildTarget),
                ]);
        }
        finally
        {
            await server.DropDatabaseAsync(database, cancellationToken);
            BenchContext.Delete(embedded);
        }
    }

    /// <summary>Through the ledger's normal import path, a tenth of the documents at a time so that progress shows.</summary>
    private static async Task<TimeSpan> ImportAsync(string database, DocumentSet documents, CancellationToken cancellationToken)
    {
        await using var store = await MartenEventStore.OpenAsync(database, cancellationToken: cancellationToken);
        var chunk = Math.Max(1, documents.Documents.Count / 10);
        var total = TimeSpan.Zero;
        var done = 0;
        foreach (var part in documents.Documents.Chunk(chunk))
        {
            var timing = await LedgerImport.RunAsync(store, new DocumentSet(part), cancellationToken);
            total += timing.Total;
            done += part.Sum(d => d.Statements);
            BenchContext.Progress($"imported {done:N0} of {documents.Statements:N0} statements ({done / total.TotalSeconds:N0} statements/s)");
        }

        return total;
    }

    private static async Task<List<(TimeSpan Ours, TimeSpan Martens)>> RebuildRoundsAsync(string database, int matters, int count, CancellationToken cancellationToken)
    {
        using var native = DocumentStore.For(options =>
        {
            MartenEventStore.Configure(options, database);
            options.Projections.Add(new NativeMatterProjection(), ProjectionLifecycle.Async);
        });
        await native.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var rounds = new List<(TimeSpan Ours, TimeSpan Martens)>();
        for (var round = 0; round < count; round++)
        {
            TimeSpan ours, martens;
            if (round % 2 == 0)
            {
                ours = await OursAsync(database, matters, cancellationToken);
                martens = await MartensAsync(native, matters, cancellationToken);
            }
            else
            {
                martens = await MartensAsync(native, matters, cancellationToken);
                ours = await OursAsync(database, matters, cancellationToken);
            }

            rounds.Add((ours, martens));
            BenchContext.Progress($"rebuild round {round + 1}: ours {matters / ours.TotalSeconds:N0} matters/s, Marten's {matters / martens.TotalSeconds:N0} matters/s, ratio {martens / ours:F2}");
        }

        await CompareAsync(native, cancellationToken);
        return rounds;
    }

    private static async Task<TimeSpan> OursAsync(string database, int matters, CancellationToken cancellationToken)
    {
        await using var store = await MartenEventStore.OpenAsync(database, cancellationToken: cancellationToken);
        BenchContext.Settle();
        var reported = 0;
        var clock = Stopwatch.StartNew();
        await store.RebuildReadModelsAsync(new SynchronousProgress(p =>
        {
            if (p.Done - reported >= p.Total / 5 || p.Done == p.Total)
            {
                reported = p.Done;
                BenchContext.Progress($"ours: {p.Done:N0} of {p.Total:N0} matters rebuilt");
            }
        }), cancellationToken);
        clock.Stop();
        if (reported != matters)
        {
            throw new InvalidOperationException($"our rebuild refolded {reported} matters, expected {matters}");
        }

        return clock.Elapsed;
    }

    private static async Task<TimeSpan> MartensAsync(DocumentStore native, int matters, CancellationToken cancellationToken)
    {
        using var daemon = await native.BuildProjectionDaemonAsync();
        BenchContext.Settle();
        BenchContext.Progress("Marten's: rebuilding");
        var clock = Stopwatch.StartNew();
        await daemon.RebuildProjectionAsync(NativeMatterProjection.ProjectionName, TimeSpan.FromHours(1), cancellationToken);
        clock.Stop();
        await using var session = native.QuerySession();
        var stored = await session.Query<NativeMatterStatus>().CountAsync(cancellationToken);
        if (stored != matters)
        {
            throw new InvalidOperationException($"Marten's rebuild stored {stored} matters, expected {matters}");
        }

        return clock.Elapsed;
    }

    /// <summary>Both rebuilds must have folded the same statuses, or the comparison measures different work.</summary>
    private static async Task CompareAsync(DocumentStore native, CancellationToken cancellationToken)
    {
        await using var session = native.QuerySession();
        var theirs = await session.Query<NativeMatterStatus>().OrderBy(m => m.Id).Take(200).ToListAsync(cancellationToken);
        var ours = (await session.LoadManyAsync<MatterDocument>(cancellationToken, theirs.Select(m => m.Id).ToArray())).ToDictionary(m => m.Id, StringComparer.Ordinal);
        foreach (var matter in theirs)
        {
            if (!ours.TryGetValue(matter.Id, out var mine)
                || JsonSerializer.Serialize(mine.Status) != JsonSerializer.Serialize(matter.Status)
                || JsonSerializer.Serialize(mine.Row) != JsonSerializer.Serialize(matter.Row))
            {
                throw new InvalidOperationException($"matter {matter.Id}: Marten's projection and the ledger's read model differ");
            }
        }
    }

    /// <summary>Reports on the caller's thread: the rebuild's last report is seen before it returns.</summary>
    private sealed class SynchronousProgress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
