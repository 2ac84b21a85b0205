using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Bench.Imports;
using Ledger.Bench.Reporting;
using Ledger.Storage;
using Ledger.Store.EventStoreDb;
using Ledger.Store.Sqlite;

namespace Ledger.Bench.Scenarios;

/// <summary>
/// Our gRPC client beside the official KurrentDB Node.js client (@kurrent/kurrentdb-client, ops/bench/esdb-node), the same
/// appends (one per document, with the expected revision) against the same node, one after the other. It needs a real
/// node: LEDGER_BENCH_ESDB=esdb://…; without one it is skipped, since a protocol fake would measure nothing of the server.
/// </summary>
internal sealed class EsdbAppendScenario : IScenario
{
    public const string NodeVariable = "LEDGER_BENCH_ESDB";
    public const double Target = 1.0;

    /// <summary>Rounds of both clients; the check takes the median of their ratios.</summary>
    public const int Rounds = 5;

    public string Name => "esdb-append";

    public async Task<ScenarioResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(NodeVariable) is not { Length: > 0 } node)
        {
            return ScenarioResult.Skip(Name, $"no EventStoreDB / KurrentDB node given: set {NodeVariable}=esdb://host:2113?tls=false (or a TLS connection string)");
        }

        var script = Path.Combine(RepositoryRoot.Find(), "ops", "bench", "esdb-node");
        if (!Directory.Exists(Path.Combine(script, "node_modules", "@kurrent", "kurrentdb-client"))
            && await RunAsync("npm", ["install", "--no-audit", "--no-fund"], script, cancellationToken) is { ExitCode: not 0 } install)
        {
            return ScenarioResult.Skip(Name, $"npm install of the official client failed in ops/bench/esdb-node: {install.Error}");
        }

        // The rows the ledger appends for the corpus, one append per document, read back from an embedded import.
        var documents = context.Documents;
        await using var imported = await SqliteEventStore.OpenAsync(await context.ImportedLedgerAsync(cancellationToken), cancellationToken);
        var appends = await DocumentRows.ReadAsync(imported, documents.RowsPerDocument(), cancellationToken);
        var events = appends.Sum(a => a.Length);
        var corpus = Path.Combine(context.WorkDirectory, "esdb-node-corpus.ndjson");
        await File.WriteAllLinesAsync(corpus, appends.Select(NodeLine), cancellationToken);

        // The two clients take turns, each round to fresh streams, the first to go alternating: a node's or machine's
        // drift over the run then weighs on both alike, and the median of the rounds' ratios ignores one disturbed round.
        var run = Guid.NewGuid().ToString("N")[..8];
        var rounds = new List<(double Ours, double Official)>();
        for (var round = 0; round < Rounds; round++)
        {
            BenchContext.Progress($"esdb-append: round {round + 1} of {Rounds}, {events:N0} events in {appends.Count:N0} appends through each client");
            var prefix = $"bench-{run}-{round}";
            double ours, official;
            if (round % 2 == 0)
            {
                ours = await OursAsync(node, $"{prefix}-ours/", appends, cancellationToken);
                official = await OfficialAsync(node, script, corpus, $"{prefix}-node/", events, cancellationToken);
            }
            else
            {
                official = await OfficialAsync(node, script, corpus, $"{prefix}-node/", events, cancellationToken);
                ours = await OursAsync(node, $"{prefix}-ours/", appends, cancellationToken);
            }

            rounds.Add((ours, official));
        }

        var median = Median(rounds.Select(r => r.Official / r.Ours));
        var oursMedian = Median(rounds.Select(r => r.Ours));
        var officialMedian = Median(rounds.Select(r => r.Official));
        return new ScenarioResult(
            Name,
            $"Events per second appended to one EventStoreDB/KurrentDB node, one append per document with its expected revision, sequentially, in {Rounds} rounds "
                + "alternating which client goes first: through Ledger's own gRPC client (EventStoreDbEventStore, which also reserves each new statement id in a "
                + "stream of its own) and through the official Node.js client (@kurrent/kurrentdb-client 1.3.1) with the same data and metadata. The check is the "
                + "median of the rounds' ratios.",
            [
                new Figure("events", events, "count", $"{appends.Count:N0} appends per client and round"),
                new Figure("our client", events / oursMedian, "events/s", $"median round {oursMedian:F2} s"),
                new Figure("official Node.js client", events / officialMedian, "events/s", $"median round {officialMedian:F2} s"),
                new Figure("ratio per round", median, "x", string.Join(", ", rounds.Select(r => $"{r.Official / r.Ours:F2}"))),
            ],
            [new Check("append throughput, our client / the official Node.js client (median of the rounds)", median, Target)]);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Seconds our client takes for the appends, the connection and catalog read not counted.</summary>
    private static async Task<double> OursAsync(string node, string prefix, IReadOnlyList<StoredEvent[]> appends, CancellationToken cancellationToken)
    {
        await using var ours = await EventStoreDbEventStore.OpenAsync(node, prefix, cancellationToken);
        var watch = Stopwatch.StartNew();
        foreach (var append in appends)
        {
            await ours.AppendAsync(append[0].Stream, append[0].Version - 1, append.Select(ToAppend).ToList(), cancellationToken);
        }

        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds the official client takes for the appends, as its script measures them.</summary>
    private static async Task<double> OfficialAsync(string node, string script, string corpus, string prefix, int events, CancellationToken cancellationToken)
    {
        var official = await RunAsync("node", ["append.mjs", node, corpus, prefix], script, cancellationToken);
        if (official.ExitCode != 0)
        {
            throw new InvalidOperationException($"the official client failed: {official.Error}");
        }

        var result = JsonNode.Parse(official.Output)!;
        if ((int)result["events"]! != events)
        {
            throw new InvalidOperationException($"the official client appended {(int)result["events"]!} events, expected {events}");
        }

        return (double)result["seconds"]!;
    }

    private static EventToAppend ToAppend(StoredEvent e) => new(e.Type, e.StatementId, e.Organization, e.PublishedAt, e.RecordedAt, e.RecordedBy, e.Data);

    /// <summary>The append as the script takes it: the same data, and the same envelope our client puts in the custom metadata.</summary>
    private static string NodeLine(StoredEvent[] append) => new JsonObject
    {
        ["stream"] = append[0].Stream,
        ["revision"] = append[0].Version - 2,
        ["events"] = new JsonArray(append.Select(e => (JsonNode)new JsonObject
        {
            ["type"] = e.Type,
            ["data"] = JsonNode.Parse(e.Data),
            ["metadata"] = JsonSerializer.SerializeToNode(new
            {
                statementId = e.StatementId,
                organization = e.Organization,
                publishedAt = e.PublishedAt,
                recordedAt = e.RecordedAt,
                recordedBy = e.RecordedBy,
            }),
        }).ToArray()),
    }.ToJsonString();

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, string[] args, string directory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
