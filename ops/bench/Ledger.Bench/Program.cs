using Ledger.Bench;
using Ledger.Bench.Reporting;
using Ledger.Bench.Scenarios;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 0;
}

var options = BenchOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine($"Ledger.Bench: {error}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var output = Path.GetFullPath(options.Out ?? Path.Combine(RepositoryRoot.Find(), "ops", "bench", "reports", "latest.md"));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

IScenario[] all = [new ImportThroughputScenario(), new StatusLatencyScenario(), new MartenImportThroughputScenario(), new ServerScenario(), new MerkleAppendScenario(), new MerkleProofScenario(), new EsdbAppendScenario(), new ReadSideScenario(), new ReadModelAppendScenario(), new ReadSidePostgresScenario(), new EsdbStatusScenario()];
var unknown = options.Scenarios?.Except(all.Select(s => s.Name), StringComparer.Ordinal).ToList();
if (unknown is { Count: > 0 })
{
    Console.Error.WriteLine($"Ledger.Bench: unknown scenario {string.Join(", ", unknown.Select(u => $"\"{u}\""))}; there are {string.Join(", ", all.Select(s => s.Name))}");
    return 2;
}

// In the program's order whatever the order given: the read scenarios reuse what the import scenario left.
var scenarios = options.Scenarios is { } chosen ? all.Where(s => chosen.Contains(s.Name)).ToArray() : all;
var loadAtStart = MachineFacts.LoadAverage();
try
{
    using var context = new BenchContext(options);
    var results = new List<ScenarioResult>();
    foreach (var scenario in scenarios)
    {
        BenchContext.Progress($"scenario {scenario.Name}");
        results.Add(await scenario.RunAsync(context, cancel.Token));
    }

    var report = new BenchReport(DateTimeOffset.UtcNow, string.Join(' ', ["Ledger.Bench", .. args]), MachineFacts.Collect(context.WorkDirectory, loadAtStart), results);
    Directory.CreateDirectory(Path.GetDirectoryName(output)!);

    // Written beside and moved, so an interrupted run never leaves half a report.
    await File.WriteAllTextAsync(output + ".tmp", report.ToMarkdown());
    File.Move(output + ".tmp", output, overwrite: true);
    if (options.Json)
    {
        Console.WriteLine(report.ToJson());
    }

    var skipped = results.Count(r => r.Skipped is not null);
    BenchContext.Progress($"{(report.Pass ? "all checks pass" : "a check FAILS")}{(skipped > 0 ? $", {skipped} scenario(s) skipped" : string.Empty)}; report written to {output}");
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("Ledger.Bench: cancelled");
    return 130;
}
