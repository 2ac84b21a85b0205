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
    public const double Target = 0.8;

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

        BenchContext.Progress($"esdb-append: {events:N0} events in {appends.Count:N0} appends through our client");
        var run = Guid.NewGuid().ToString("N")[..8];
        await using var ours = await EventStoreDbEventStore.OpenAsync(node, $"bench-{run}-ours/", cancellationToken);
        var watch = Stopwatch.StartNew();
        foreach (var append in appends)
        {
            await ours.AppendAsync(append[0].Stream, append[0].Version - 1, append.Select(ToAppend).ToList(), cancellationToken);
        }

        var oursSeconds = watch.Elapsed.TotalSeconds;
        BenchContext.Progress($"esdb-append: the same through the official Node.js client");
        var official = await RunAsync("node", ["append.mjs", node, corpus, $"bench-{run}-node/"], script, cancellationToken);
        if (official.ExitCode != 0)
        {
            throw new InvalidOperationException($"the official client failed: {official.Error}");
        }

        var result = JsonNode.Parse(official.Output)!;
        var nodeSeconds = (double)result["seconds"]!;
        if ((int)result["events"]! != events)
        {
            throw new InvalidOperationException($"the official client appended {(int)result["events"]!} events, expected {events}");
        }

        return new ScenarioResult(
            Name,
            "Events per second appended to one EventStoreDB/KurrentDB node, one append per document with its expected revision, sequentially: "
                + "through Ledger's own gRPC client (EventStoreDbEventStore) and through the official Node.js client (@kurrent/kurrentdb-client 1.3.1) with the same data and metadata.",
            [
                new Figure("events", events, "count", $"{appends.Count:N0} appends"),
                new Figure("our client", events / oursSeconds, "events/s", $"{oursSeconds:F2} s"),
                new Figure("official Node.js client", events / nodeSeconds, "events/s", $"{nodeSeconds:F2} s"),
            ],
            [new Check("append throughput, our client / the official Node.js client", nodeSeconds / oursSeconds, Target)]);
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
