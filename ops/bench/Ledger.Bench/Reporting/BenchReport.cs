using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Bench.Scenarios;

namespace Ledger.Bench.Reporting;

internal sealed record BenchReport(DateTimeOffset Date, string CommandLine, MachineFacts Machine, IReadOnlyList<ScenarioResult> Scenarios)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public bool Pass => Scenarios.SelectMany(s => s.Checks).All(c => c.Pass);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# Ledger benchmark").AppendLine()
            .AppendLine($"- Date: {Date:yyyy-MM-dd HH:mm:ss} UTC")
            .AppendLine($"- Command: `{CommandLine}`")
            .AppendLine($"- Build: {Machine.Configuration}")
            .AppendLine($"- Machine: {Machine.Cores} cores (Environment.ProcessorCount), {Machine.Os}, {Machine.Architecture}")
            .AppendLine($"- Runtime: {Machine.Runtime}; SQLite {Machine.Sqlite}")
            .AppendLine($"- Load average (1, 5, 15 min): {Machine.LoadAtStart ?? "unknown"} at start, {Machine.LoadAtEnd ?? "unknown"} at end; above {Machine.Cores} means other work competed").AppendLine();

        md.AppendLine("## Checks").AppendLine()
            .AppendLine("| check | value | target | result |")
            .AppendLine("|---|---:|---:|---|");
        foreach (var check in Scenarios.SelectMany(s => s.Checks))
        {
            md.AppendLine($"| {check.Name} | {check.Value:F2}x | >= {check.Target:F2}x | {(check.Pass ? "PASS" : "FAIL")} |");
        }

        foreach (var skipped in Scenarios.Where(s => s.Skipped is not null))
        {
            md.AppendLine($"| {skipped.Name} | - | - | SKIPPED |");
        }

        foreach (var scenario in Scenarios)
        {
            if (scenario.Skipped is not null)
            {
                md.AppendLine().AppendLine($"## {scenario.Name}").AppendLine().AppendLine($"Skipped: {scenario.Skipped}");
                continue;
            }

            md.AppendLine().AppendLine($"## {scenario.Name}").AppendLine().AppendLine(scenario.Measures).AppendLine()
                .AppendLine("| figure | value | unit | detail |")
                .AppendLine("|---|---:|---|---|");
            foreach (var figure in scenario.Figures)
            {
                md.AppendLine($"| {figure.Name} | {Format(figure)} | {figure.Unit} | {figure.Detail} |");
            }
        }

        return md.ToString();
    }

    private static string Format(Figure figure) => figure.Unit switch
    {
        "ms" => figure.Value.ToString(figure.Value < 10 ? "F3" : "F1", CultureInfo.InvariantCulture),
        "%" => figure.Value.ToString("F1", CultureInfo.InvariantCulture),
        "x" => figure.Value.ToString("F2", CultureInfo.InvariantCulture),
        _ => figure.Value.ToString("N0", CultureInfo.InvariantCulture),
    };
}
