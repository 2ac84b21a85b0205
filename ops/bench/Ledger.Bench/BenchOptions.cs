namespace Ledger.Bench;

/// <summary>The command line: what to generate, how often to repeat, where to write the report.</summary>
internal sealed record BenchOptions(int Statements, bool Quick, int Runs, string? Out, bool Json, IReadOnlyList<string>? Scenarios = null)
{
    public const string Usage = """
        usage: Ledger.Bench [--statements N | --quick] [--runs N] [--scenarios A,B] [--out PATH] [--json]
          --statements N    statements to import (default 100000; marten-import-throughput takes a fifth)
          --quick           smoke run: 10000 statements (2000 on Marten), fewer repetitions
          --runs N          alternating rounds of the import scenarios' variants (default 3, at least 2)
          --scenarios A,B   only these scenarios, comma-separated (default all): import-throughput,
                            status-latency, marten-import-throughput, http-server,
                            merkle-append, merkle-proof, esdb-append, esdb-status
                            (esdb-append needs LEDGER_BENCH_ESDB=esdb://… naming a real node;
                            esdb-status runs the protocol fake: 1,000,000 events, 50,000 with --quick)
          --out PATH        Markdown report (default ops/bench/reports/latest.md under the repository root)
          --json            print the report as JSON on stdout (progress stays on stderr)
        """;

    /// <summary>Parses the arguments; null with a message when they are wrong.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        int? statements = null;
        var quick = false;
        var runs = 3;
        string? output = null;
        var json = false;
        List<string>? scenarios = null;
        error = null;
        for (var i = 0; i < args.Count && error is null; i++)
        {
            string? Next() => i + 1 < args.Count ? args[++i] : null;
            switch (args[i])
            {
                case "--statements":
                    statements = PositiveNumber(Next(), "--statements", 1, ref error);
                    break;
                case "--runs":
                    runs = PositiveNumber(Next(), "--runs", 2, ref error) ?? runs;
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--out":
                    output = Next() ?? Fail("--out needs a path", ref error);
                    break;
                case "--json":
                    json = true;
                    break;
                case "--scenarios":
                    scenarios = Next()?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
                    if (scenarios is not { Count: > 0 })
                    {
                        error = "--scenarios needs scenario names separated by commas";
                    }

                    break;
                default:
                    error = $"unknown argument \"{args[i]}\"";
                    break;
            }
        }

        if (error is null && quick && statements is not null)
        {
            error = "--quick and --statements exclude each other (--quick means 10000 statements)";
        }

        return error is null ? new BenchOptions(statements ?? (quick ? 10_000 : 100_000), quick, runs, output, json, scenarios) : null;
    }

    private static int? PositiveNumber(string? text, string option, int minimum, ref string? error) =>
        int.TryParse(text, out var value) && value >= minimum ? value : Fail<int?>($"{option} needs a whole number of at least {minimum}", ref error);

    private static T? Fail<T>(string message, ref string? error)
    {
        error = message;
        return default;
    }

    private static string? Fail(string message, ref string? error) => Fail<string>(message, ref error);
}
